using AiFactory.Cli.Upload;
using Microsoft.Extensions.Time.Testing;

namespace AiFactory.Tests.Cli;

/// <summary>
/// Upload progress comes from the bytes written to the connection; it is a bar on a terminal and plain periodic
/// lines in a log, and the file is streamed, never read whole into memory.
/// </summary>
public sealed class UploadProgressTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Redirected_output_gets_a_line_every_interval_and_a_last_line_with_the_rate()
    {
        var time = new FakeTimeProvider();
        using var output = new StringWriter { NewLine = "\n" };
        using var progress = new UploadProgress(output, terminal: false, "model.onnx", 100 * MiB, time);

        progress.Report(10 * MiB);
        time.Advance(UploadProgress.LineInterval - TimeSpan.FromMilliseconds(1));
        progress.Report(40 * MiB);
        Assert.Equal("", output.ToString());

        time.Advance(TimeSpan.FromMilliseconds(1));
        progress.Report(50 * MiB);
        time.Advance(UploadProgress.LineInterval);
        progress.Report(100 * MiB);
        progress.Complete();

        Assert.Equal("""
            uploading model.onnx:  50 %  50.0 MiB of 100.0 MiB  10.0 MiB/s
            uploading model.onnx: 100 %  100.0 MiB of 100.0 MiB  10.0 MiB/s
            uploaded model.onnx: 100.0 MiB in 10.0 s (10.0 MiB/s)

            """, output.ToString());
    }

    [Fact]
    public void A_terminal_gets_a_bar_redrawn_in_place()
    {
        var time = new FakeTimeProvider();
        using var output = new StringWriter { NewLine = "\n" };
        using var progress = new UploadProgress(output, terminal: true, "model.onnx", 10 * MiB, time);

        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(5 * MiB);
        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(10 * MiB);
        progress.Complete();

        Assert.Equal(
            "\rmodel.onnx [###############---------------]  50 %  5.0 MiB of 10.0 MiB  5.0 MiB/s   "
            + "\rmodel.onnx [##############################] 100 %  10.0 MiB of 10.0 MiB  5.0 MiB/s   "
            + "\rmodel.onnx [##############################] 100 %  10.0 MiB of 10.0 MiB  5.0 MiB/s   \n"
            + "uploaded model.onnx: 10.0 MiB in 2.0 s (5.0 MiB/s)\n", output.ToString());
    }

    [Fact]
    public void A_bar_interrupted_by_a_failure_ends_its_line()
    {
        var time = new FakeTimeProvider();
        using var output = new StringWriter { NewLine = "\n" };
        var progress = new UploadProgress(output, terminal: true, "model.onnx", 10 * MiB, time);

        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(MiB);
        progress.Dispose();

        Assert.EndsWith("   \n", output.ToString());
    }

    [Fact]
    public async Task The_count_is_of_bytes_written_to_the_connection_and_the_file_is_streamed()
    {
        const int size = 64 * 1024 * 1024;
        using var file = new Infrastructure.TemporaryFile(new byte[size]);
        var connection = new RecordingStream();
        var reports = new List<(long Reported, long Written)>();
        await using var content = File.OpenRead(file.Path);
        using var body = new ProgressStreamContent(content, new SynchronousProgress(sent => reports.Add((sent, connection.Written))));

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        await body.CopyToAsync(connection).WaitAsync(TimeSpan.FromMinutes(1));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.Equal(size, connection.Written);
        Assert.True(reports.Count > 1, $"{reports.Count} reports");
        Assert.All(reports, report => Assert.Equal(report.Written, report.Reported));
        Assert.Equal(size, reports[^1].Reported);
        // Streamed: a copy of the file in memory would be 64 MiB; its buffer is 256 KiB.
        Assert.True(allocated < 8 * 1024 * 1024, $"{allocated} bytes allocated to send {size}");
        Assert.Equal(size, body.Headers.ContentLength);
    }

    /// <summary>A connection that keeps only the count of what was written to it.</summary>
    private sealed class RecordingStream : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => Written += count;
        public override void Write(ReadOnlySpan<byte> buffer) => Written += buffer.Length;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Unlike <see cref="Progress{T}"/>, reports on the writer's thread, at the moment of the write.</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
