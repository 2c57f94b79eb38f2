using System.Text;
using AiFactory.Evaluation.Running;

namespace AiFactory.Evaluation.Ocr;

/// <summary>
/// Greedy CTC decoding as PaddleOCR's <c>CTCLabelDecode</c> does it: the best class at each time step, repeats of the
/// same class collapsed, blanks (class 0) dropped.
/// </summary>
public static class CtcGreedyDecoder
{
    /// <summary>The text of every line of a [N, T, C] output.</summary>
    public static string[] Decode(FloatTensor output, RecognitionDictionary dictionary)
    {
        if (output.Shape is not [var lines, var steps, var classes])
        {
            throw new ArgumentException($"a recognizer's output is [N, T, C], not [{string.Join(", ", output.Shape)}]", nameof(output));
        }

        if (classes != dictionary.ClassCount)
        {
            throw new ArgumentException($"the recognizer scores {classes} classes, but the dictionary makes {dictionary.ClassCount} (blank, {dictionary.Characters.Count} entries, space)", nameof(output));
        }

        var texts = new string[lines];
        for (var line = 0; line < lines; line++)
        {
            texts[line] = Decode(output.Data.AsSpan(line * steps * classes, steps * classes), classes, dictionary);
        }

        return texts;
    }

    private static string Decode(ReadOnlySpan<float> scores, int classes, RecognitionDictionary dictionary)
    {
        var text = new StringBuilder();
        var previous = -1;
        for (var step = 0; step < scores.Length / classes; step++)
        {
            var best = ArgMax(scores.Slice(step * classes, classes));
            if (best != previous && best != 0)
            {
                text.Append(dictionary[best]);
            }

            previous = best;
        }

        return text.ToString();
    }

    /// <summary>The index of the largest score; the first one on a tie (NumPy's <c>argmax</c>).</summary>
    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        var best = 0;
        for (var i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
            }
        }

        return best;
    }
}
