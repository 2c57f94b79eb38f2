using System.Globalization;
using AiFactory.Cli.Output;

namespace AiFactory.Cli.Upload;

/// <summary>
/// Shows an upload's progress from the bytes written to the connection: on a terminal a bar redrawn in place, when
/// the output is redirected (a CI log) a plain line every <see cref="LineInterval"/>, and a last line with the rate.
/// </summary>
internal sealed class UploadProgress(TextWriter output, bool terminal, string name, long total, TimeProvider time) : IProgress<long>, IDisposable
{
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);
    private const int BarWidth = 30;

    private readonly long _started = time.GetTimestamp();
    private long _lastWrite = time.GetTimestamp();
    private long _sent;
    private bool _barOpen;

    public void Report(long sent)
    {
        _sent = sent;
        if (time.GetElapsedTime(_lastWrite) >= (terminal ? RedrawInterval : LineInterval))
        {
            WriteProgress();
        }
    }

    /// <summary>The last line: what was sent, how long it took, the rate.</summary>
    public void Complete()
    {
        if (terminal)
        {
            WriteProgress();
            EndBar();
        }

        var elapsed = time.GetElapsedTime(_started);
        output.WriteLine(Format.Printable(string.Create(CultureInfo.InvariantCulture,
            $"uploaded {name}: {Format.Bytes(_sent)} in {elapsed.TotalSeconds:0.0} s ({Rate(elapsed)})")));
    }

    /// <summary>Ends the bar's line, so a message after a failed upload starts on a line of its own.</summary>
    public void Dispose() => EndBar();

    private void WriteProgress()
    {
        _lastWrite = time.GetTimestamp();
        var fraction = total > 0 ? Math.Min(1, (double)_sent / total) : 1;
        var elapsed = time.GetElapsedTime(_started);
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"{fraction * 100,3:0} %  {Format.Bytes(_sent)} of {Format.Bytes(total)}  {Rate(elapsed)}");
        if (terminal)
        {
            var filled = (int)(fraction * BarWidth);
            output.Write($"\r{Format.Printable(name)} [{new string('#', filled)}{new string('-', BarWidth - filled)}] {figures}   ");
            _barOpen = true;
        }
        else
        {
            output.WriteLine(Format.Printable($"uploading {name}: {figures}"));
        }
    }

    private string Rate(TimeSpan elapsed) =>
        elapsed > TimeSpan.Zero ? $"{Format.Bytes((long)(_sent / elapsed.TotalSeconds))}/s" : "-";

    private void EndBar()
    {
        if (_barOpen)
        {
            output.WriteLine();
            _barOpen = false;
        }
    }
}
