namespace AiFactory.Evaluation.Metrics;

/// <summary>
/// The recognizer's score over a set of lines, accumulated line by line. Exactly:
/// <list type="bullet">
/// <item>character error rate = Σ edit distance(reference, prediction) / Σ length(reference), over every line of the
/// set, in Unicode code points (Levenshtein: insertions, deletions and substitutions cost 1);</item>
/// <item>character accuracy = 1 − character error rate. Not clamped: a prediction that inserts more characters than
/// the references hold scores below 0;</item>
/// <item>line accuracy = the share of lines predicted exactly.</item>
/// </list>
/// Summed over the set rather than averaged per line, so a long line weighs as many characters as it has. The
/// texts are compared as given; the caller decides what to normalise (<see cref="Ocr.RecognitionEvaluation"/> drops
/// spaces, as PaddleOCR's <c>RecMetric</c> does by default).
/// </summary>
public sealed class CharacterAccuracy
{
    public int Lines { get; private set; }

    public int ExactLines { get; private set; }

    public long ReferenceCharacters { get; private set; }

    public long Errors { get; private set; }

    public void Add(string reference, string prediction)
    {
        Lines++;
        ReferenceCharacters += EditDistance.Length(reference);
        var distance = EditDistance.Between(reference, prediction);
        Errors += distance;
        ExactLines += distance == 0 ? 1 : 0;
    }

    /// <summary>Σ distance / Σ reference length; NaN for a set without reference characters.</summary>
    public double CharacterErrorRate => ReferenceCharacters == 0 ? double.NaN : (double)Errors / ReferenceCharacters;

    public double Accuracy => 1 - CharacterErrorRate;

    public double LineAccuracy => Lines == 0 ? double.NaN : (double)ExactLines / Lines;
}
