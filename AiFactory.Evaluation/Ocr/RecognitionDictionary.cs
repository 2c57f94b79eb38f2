using System.Text;

namespace AiFactory.Evaluation.Ocr;

/// <summary>
/// The recognizer's classes as PaddleOCR builds them from its dictionary file (<c>ppocr/postprocess/rec_postprocess.py</c>,
/// <c>BaseRecLabelDecode</c> and <c>CTCLabelDecode</c>): one entry per line of the file (UTF-8, line ends removed),
/// then a space (<c>use_space_char</c>, on for the PP-OCR models), and the CTC blank in front, so class 0 is the
/// blank, class i is line i, and the last class is the space.
/// </summary>
public sealed class RecognitionDictionary
{
    private readonly string[] _classes;

    private RecognitionDictionary(string[] characters)
    {
        Characters = characters;
        _classes = ["", .. characters, " "];
    }

    /// <summary>The dictionary's own entries, in file order, without the blank and the space.</summary>
    public IReadOnlyList<string> Characters { get; }

    /// <summary>Blank, the entries, space: what a recognizer built on this dictionary outputs a score for.</summary>
    public int ClassCount => _classes.Length;

    /// <summary>The text of class <paramref name="index"/>; the blank's is empty.</summary>
    public string this[int index] => _classes[index];

    public static RecognitionDictionary Load(string path) =>
        File.Exists(path)
            ? Parse(File.ReadAllBytes(path))
            : throw new FileNotFoundException($"the recognizer's dictionary {path} is missing: run scripts/fetch-models.sh", path);

    public static RecognitionDictionary Parse(ReadOnlySpan<byte> utf8)
    {
        var lines = Encoding.UTF8.GetString(utf8).Split('\n');
        // A final line end does not start another entry (Python's readlines).
        var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        return new RecognitionDictionary([.. lines.Take(count).Select(line => line.TrimEnd('\r'))]);
    }
}
