using AiFactory.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AiFactory.Tests.Registry;

/// <summary>A version promoted and rolled back while requests keep coming, through the real gateway and replicas.</summary>
[Collection(AppHostCollection.Name)]
public sealed class RolloutTests(AppHostFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly byte[] Identity = OnnxModelWriter.Identity("FP32");
    private readonly string _model = $"rollout-{Guid.NewGuid():N}"[..18];
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromMinutes(3));
    private RegistryTables _registry = null!;

    public Task InitializeAsync()
    {
        _registry = RegistryTables.Of(fixture);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Promote_then_roll_back_under_load_loses_no_request_and_serves_the_old_version_within_2_s()
    {
        await _registry.UploadVersionAsync(_model, OnnxModelWriter.WithDocString(Identity, "stable"));
        await _registry.UploadVersionAsync(_model, OnnxModelWriter.WithDocString(Identity, "new"));
        await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [1] = 100 });
        await fixture.WaitUntilObservedAsync(_model, new Dictionary<int, int> { [1] = 100 }, _deadline.Token);
        using var client = await ContinuousLoad.ClientAsync(fixture, $"{_model}-load");
        var load = ContinuousLoad.Start(4, (worker, cancellation) =>
            ContinuousLoad.InferAsync(client, $"/v2/models/{_model}/infer", OipRequests.Json("in_fp32", [1, 2], [worker, 1]), cancellation));

        await _registry.SetTrafficAsync(_model, new Dictionary<int, int> { [2] = 100 }, "promote");
        await fixture.WaitUntilObservedAsync(_model, new Dictionary<int, int> { [2] = 100 }, _deadline.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.NotNull(await _registry.RollbackAsync(_model, "roll back under load"));
        var rolledBack = load.Now;
        await Task.Delay(TimeSpan.FromSeconds(5));
        var samples = await load.StopAsync();

        var failed = samples.Where(sample => sample.Status != 200).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {samples.Count} requests failed: {string.Join("; ", failed.Take(5))}");
        Assert.Contains(samples, sample => sample.Version == "2");
        var late = samples.Where(sample => sample.Started >= rolledBack + TimeSpan.FromSeconds(2)).ToList();
        Assert.NotEmpty(late);
        Assert.All(late, sample => Assert.Equal("1", sample.Version));

        var lastNew = samples.Where(sample => sample.Version == "2").Max(sample => sample.Started);
        output.WriteLine($"rollback to 100 % version 1: the last request served by version 2 started {(lastNew - rolledBack).TotalMilliseconds:0} ms " +
                         $"after the rollback returned ({samples.Count} requests, none failed)");
    }

    public async Task DisposeAsync()
    {
        _deadline.Dispose();
        await _registry.DisposeAsync();
    }
}
