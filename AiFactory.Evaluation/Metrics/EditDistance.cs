using System.Text;

namespace AiFactory.Evaluation.Metrics;

/// <summary>Levenshtein distance over Unicode code points: insertions, deletions and substitutions cost 1 each.</summary>
public static class EditDistance
{
    public static int Between(string reference, string prediction)
    {
        var a = CodePoints(reference);
        var b = CodePoints(prediction);
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    /// <summary>The length in code points, the unit of <see cref="Between"/>.</summary>
    public static int Length(string text) => CodePoints(text).Length;

    private static int[] CodePoints(string text) => [.. text.EnumerateRunes().Select(rune => rune.Value)];
}
