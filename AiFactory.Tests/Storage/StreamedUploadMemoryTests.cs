using System.Diagnostics;
using System.Security.Cryptography;
using AiFactory.Storage;
using AiFactory.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AiFactory.Tests.Storage;

/// <summary>
/// Uploads and downloads stream: a 512 MiB model passes through this process (the test process is the gateway's
/// stand-in: <see cref="S3ObjectStore"/> runs here) with its resident memory growing by less than
/// <see cref="MemoryBound"/>, whatever the object's size. The bytes come from a generator, so the only buffers are the store's.
/// </summary>
public sealed class StreamedUploadMemoryTests(ITestOutputHelper output)
{
    private const long ObjectBytes = 512L * 1024 * 1024;

    /// <summary>Two 8 MiB parts, the SDK's and the runtime's buffers, and room for the GC's timing; an object held whole would need 512 MiB.</summary>
    private const long MemoryBound = 96L * 1024 * 1024;

    [Fact]
    public async Task A_512_mib_upload_and_its_verified_download_keep_resident_memory_within_96_mib()
    {
        await using var server = await S3rverProcess.StartAsync();
        using var store = server.CreateStore();
        var key = ArtifactKeys.Staging();

        var (stored, uploadGrowth, uploadSeconds) = await MeasureAsync(() => store.PutAsync(key, new GeneratedStream(ObjectBytes, seed: 5), ObjectBytes, CancellationToken.None));
        var (_, downloadGrowth, downloadSeconds) = await MeasureAsync(async () =>
        {
            await using var read = new VerifyingStream(await store.OpenReadAsync(key, CancellationToken.None), stored);
            await read.CopyToAsync(Stream.Null);
            return read.Position;
        });

        output.WriteLine($"upload {ObjectBytes / 1048576} MiB: {ObjectBytes / 1048576.0 / uploadSeconds:F0} MiB/s, resident memory +{uploadGrowth / 1048576} MiB at peak");
        output.WriteLine($"verified download: {ObjectBytes / 1048576.0 / downloadSeconds:F0} MiB/s, resident memory +{downloadGrowth / 1048576} MiB at peak");
        Assert.Equal(ObjectBytes, stored.SizeBytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new GeneratedStream(ObjectBytes, seed: 5))), stored.Sha256);
        Assert.True(uploadGrowth < MemoryBound, $"the upload grew resident memory by {uploadGrowth / 1048576} MiB");
        Assert.True(downloadGrowth < MemoryBound, $"the download grew resident memory by {downloadGrowth / 1048576} MiB");
    }

    // Peak resident memory above the level before the operation, sampled every 20 ms while it runs.
    private static async Task<(T Result, long PeakGrowth, double Seconds)> MeasureAsync<T>(Func<Task<T>> operation)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var baseline = process.WorkingSet64;
        var peak = baseline;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                await Task.Delay(20);
            }
        });
        var clock = Stopwatch.StartNew();
        var result = await operation().WaitAsync(TimeSpan.FromMinutes(5));
        var seconds = clock.Elapsed.TotalSeconds;
        await done.CancelAsync();
        await sampler;
        return (result, peak - baseline, seconds);
    }
}
