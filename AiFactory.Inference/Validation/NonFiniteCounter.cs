using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Validation;

/// <summary>NaN and infinite values per output over the smoke runs, and the problems they make.</summary>
public sealed class NonFiniteCounter
{
    private readonly Dictionary<string, (long NaN, long Infinite)> _counts = [];

    public long Total => _counts.Values.Sum(count => count.NaN + count.Infinite);

    public void Add(IEnumerable<Tensor> outputs)
    {
        foreach (var output in outputs)
        {
            if (TensorValues.ToDoubles(output) is not { } values)
            {
                continue;
            }

            var (nan, infinite) = _counts.GetValueOrDefault(output.Name);
            foreach (var value in values)
            {
                nan += double.IsNaN(value) ? 1 : 0;
                infinite += double.IsInfinity(value) ? 1 : 0;
            }

            _counts[output.Name] = (nan, infinite);
        }
    }

    /// <summary>One sentence per output that had non-finite values: "output 'y' has 3 NaN values on the smoke inputs".</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var (name, (nan, infinite)) in _counts.OrderBy(count => count.Key, StringComparer.Ordinal))
        {
            if (nan > 0)
            {
                yield return $"output '{name}' has {nan} NaN values on the smoke inputs";
            }

            if (infinite > 0)
            {
                yield return $"output '{name}' has {infinite} infinite values on the smoke inputs";
            }
        }
    }
}
