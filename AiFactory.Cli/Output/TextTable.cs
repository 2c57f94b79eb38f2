namespace AiFactory.Cli.Output;

/// <summary>A plain table for terminals: a header row, columns padded to their widest cell, two spaces between.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public int Count => _rows.Count;

    /// <summary>Adds a row; missing cells are blank and every cell is made printable (<see cref="Format.Printable"/>).</summary>
    public void Add(params string?[] cells) =>
        _rows.Add([.. headers.Select((_, column) => Format.Printable(column < cells.Length ? cells[column] : null))]);

    public void Write(TextWriter output)
    {
        var widths = headers.Select((header, column) => _rows.Select(row => row[column].Length).Append(header.Length).Max()).ToArray();
        WriteRow(output, headers, widths);
        foreach (var row in _rows)
        {
            WriteRow(output, row, widths);
        }
    }

    private static void WriteRow(TextWriter output, string[] cells, int[] widths)
    {
        // The last column is not padded, so no line ends in spaces.
        var line = string.Join("  ", cells.Select((cell, column) => column == cells.Length - 1 ? cell : cell.PadRight(widths[column])));
        output.WriteLine(line.TrimEnd());
    }
}
