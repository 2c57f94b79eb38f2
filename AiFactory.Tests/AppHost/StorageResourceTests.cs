using AiFactory.Storage;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AiFactory.Tests.AppHost;

/// <summary>The AppHost's <c>storage</c> resource as F5 runs it without containers: s3rver, healthy, its log visible, given to every service.</summary>
[Collection(AppHostCollection.Name)]
public sealed class StorageResourceTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string[] Services = ["gateway", .. AppHostFixture.InferenceReplicas];

    [Fact]
    public async Task Storage_is_healthy_and_its_log_is_in_the_dashboard()
    {
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("storage", out var state));
        Assert.Equal(HealthStatus.Healthy, state.Snapshot.HealthStatus);

        Assert.True(await LogHasLineAsync("storage", "S3rver listening on 127.0.0.1:"), "storage's log has no 'S3rver listening on 127.0.0.1:' line");
    }

    // The log the Aspire dashboard shows for the resource (its DCP instances' output).
    private async Task<bool> LogHasLineAsync(string resourceName, string text)
    {
        var resource = fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        using var cancel = new CancellationTokenSource(Timeout);
        try
        {
            await foreach (var batch in fixture.App.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(resource).WithCancellation(cancel.Token))
            {
                if (batch.Any(line => line.Content.Contains(text)))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return false;
    }

    [Fact]
    public async Task Gateway_and_every_inference_replica_get_one_connection_string_to_a_store_that_serves()
    {
        var connectionStrings = Services.Select(service =>
        {
            Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState(service, out var state), $"{service} has no state");
            var variable = state.Snapshot.EnvironmentVariables.SingleOrDefault(v => v.Name == "ConnectionStrings__storage");
            Assert.True(variable?.Value is { Length: > 0 }, $"{service} has no ConnectionStrings__storage");
            return variable!.Value!;
        }).Distinct().ToList();

        var connectionString = Assert.Single(connectionStrings);
        Assert.EndsWith(";AccessKey=S3RVER;SecretKey=S3RVER;Bucket=aifactory;Region=us-east-1;ChunkedUploads=false;ServerSideCopy=false", connectionString);

        var options = new StorageOptions();
        options.ApplyConnectionString(connectionString, "storage");
        using var store = new S3ObjectStore(Options.Create(options));
        var stored = await store.PutAsync(ArtifactKeys.Staging(), new MemoryStream([1, 2, 3]), 3, CancellationToken.None).WaitAsync(Timeout);
        await using var read = new VerifyingStream(await store.OpenReadAsync(stored.Key, CancellationToken.None).WaitAsync(Timeout), stored);
        await read.CopyToAsync(Stream.Null).WaitAsync(Timeout);
        await store.DeleteAsync(stored.Key, CancellationToken.None).WaitAsync(Timeout);
    }
}
