namespace AiFactory.Evaluation.Metrics;

/// <summary>The share of samples whose predicted class is the expected one.</summary>
public sealed class ClassificationAccuracy
{
    public int Samples { get; private set; }

    public int Correct { get; private set; }

    public void Add(int expected, int predicted)
    {
        Samples++;
        Correct += expected == predicted ? 1 : 0;
    }

    /// <summary>Correct / samples; NaN for no samples.</summary>
    public double Accuracy => Samples == 0 ? double.NaN : (double)Correct / Samples;
}
