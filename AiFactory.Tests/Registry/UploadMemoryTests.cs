using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;
using AiFactory.Tests.Storage;
using Xunit.Abstractions;

namespace AiFactory.Tests.Registry;

/// <summary>
/// An upload streams through the gateway: a large model passes through it (to the object store, then copied to its
/// content address) while its resident memory grows by less than <see cref="MemoryBound"/>, whatever the model's size.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class UploadMemoryTests(AppHostFixture fixture, ITestOutputHelper output)
{
    /// <summary>256 MiB by default; <c>AIFACTORY_UPLOAD_TEST_MIB=1024</c> measures a 1 GiB upload.</summary>
    private static readonly long UploadBytes = (long.TryParse(Environment.GetEnvironmentVariable("AIFACTORY_UPLOAD_TEST_MIB"), out var mib) ? mib : 256) * 1024 * 1024;

    /// <summary>
    /// Two 8 MiB parts for the upload and two for the copy to the content address, the runtime's and the SDK's buffers
    /// and the GC's timing; a model held whole would need its own size.
    /// </summary>
    private const long MemoryBound = 64L * 1024 * 1024;

    [Fact]
    public async Task A_large_upload_keeps_the_gateways_resident_memory_within_64_mib()
    {
        using var admin = fixture.CreateGatewayClient();
        admin.Timeout = TimeSpan.FromMinutes(15);
        var model = RegistryClient.NewModelName("large");
        var baseline = fixture.ResidentBytes("gateway");
        var peak = baseline;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, fixture.ResidentBytes("gateway"));
                await Task.Delay(50);
            }
        });
        using var content = new StreamContent(new GeneratedStream(UploadBytes, seed: 11));
        content.Headers.ContentLength = UploadBytes;
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        var clock = Stopwatch.StartNew();
        using var response = await admin.PostAsync(RegistryClient.VersionsPath(model), content);
        var seconds = clock.Elapsed.TotalSeconds;
        await done.CancelAsync();
        await sampler;

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var uploaded = JsonNode.Parse(body)!;
        output.WriteLine($"upload of {UploadBytes / 1048576} MiB through the gateway: {UploadBytes / 1048576.0 / seconds:F1} MiB/s ({seconds:F1} s, "
                         + $"staging, hash and copy to the content address); gateway resident memory {baseline / 1048576} MiB before, +{(peak - baseline) / 1048576} MiB at peak");
        Assert.Equal(UploadBytes, uploaded["size_bytes"]!.GetValue<long>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new GeneratedStream(UploadBytes, seed: 11))), uploaded["sha256"]!.GetValue<string>());
        Assert.True(peak - baseline < MemoryBound,
            $"the gateway's resident memory grew by {(peak - baseline) / 1048576} MiB during a {UploadBytes / 1048576} MiB upload (bound {MemoryBound / 1048576} MiB)");
    }
}
