using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using AiFactory.Inference.Analysis;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiFactory.Tests.Analysis;

/// <summary>The analyzer on the real classifier, in process: what it measures, and that it runs one analysis at a time.</summary>
public sealed class ConfigAnalyzerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ConfigAnalyzer _analyzer;
    private readonly JsonObject _shipped = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Models, SampleModels.TextDirection, ModelConfig.FileName)))!;

    public ConfigAnalyzerTests() =>
        _analyzer = new ConfigAnalyzer(new SessionFactory(NullLogger<SessionFactory>.Instance), new InferenceMetrics(_services.GetRequiredService<IMeterFactory>()),
            NullLogger<ConfigAnalyzer>.Instance);

    [Fact]
    public async Task The_table_holds_the_shipped_config_and_each_swept_one_at_every_concurrency_level_with_their_figures()
    {
        var result = await Analyze(new SweepRanges([8], [1000], [2], [1], ["cpu"], [1, 4]), new LatencyObjective(95, 5000));

        Assert.Equal(4, result.Table.Count);
        Assert.Equal([true, true, false, false], result.Table.Select(row => row.Baseline));
        Assert.Equal([1, 4], result.Baseline.Select(row => row.Concurrency));
        Assert.All(result.Table, row =>
        {
            Assert.Null(row.Error);
            Assert.True(row.Requests > 0 && row.ThroughputPerSecond > 0, $"no figures: {row}");
            Assert.True(row.P50Ms <= row.P95Ms && row.P95Ms <= row.P99Ms, $"percentiles out of order: {row}");
        });
        Assert.Contains(result.Providers, provider => provider is { Name: "cpu", Available: true });
        // Where CUDA does not load (this machine, CI), the answer says the sweep was CPU only, and why.
        if (result.Providers.Single(provider => provider.Name == "cuda") is { Available: false } cuda)
        {
            Assert.Equal("CPU only: " + cuda.Reason, Assert.Single(result.Notes));
        }
        var recommendation = Assert.IsType<Recommendation>(result.Recommendation);
        Assert.True(recommendation.Row.MeetsObjective);
        Assert.Equal(result.Table.Where(row => row.MeetsObjective).Max(row => row.ThroughputPerSecond), recommendation.Row.ThroughputPerSecond);
        // What would be applied is what was measured.
        Assert.Equal(recommendation.Row.Settings, SweepPlan.SettingsOf(ModelConfig.Parse(recommendation.Config.ToJsonString(), "test"), "cpu"));
    }

    [Fact]
    public async Task An_objective_nothing_meets_recommends_nothing_and_says_the_best_percentile_reached()
    {
        var result = await Analyze(new SweepRanges([8], [1000], [1], [1], ["cpu"], [2]), new LatencyObjective(99, 0.001), secondsPerPoint: 1);

        Assert.Null(result.Recommendation);
        Assert.All(result.Table, row => Assert.False(row.MeetsObjective));
        // The best among the points that measured something (under heavy load a short point may answer nothing in its time).
        var best = result.Table.Where(row => row.Error is null).Min(row => row.P99Ms).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(result.Answer.StartsWith($"no configuration met p99 ≤ 0.001 ms: the best p99 reached was {best} ms (", StringComparison.Ordinal), result.Answer);
    }

    [Fact]
    public async Task A_second_analysis_while_one_runs_is_refused_as_unavailable_with_the_reason()
    {
        var first = Analyze(new SweepRanges([8], [1000], [1], [1], ["cpu"], [1]), new LatencyObjective(95, 5000), secondsPerPoint: 2);

        var error = await Assert.ThrowsAsync<InferenceError>(() => Analyze(new SweepRanges(Concurrency: [1]), new LatencyObjective(95, 50)));

        Assert.Equal(InferenceErrorKind.Unavailable, error.Kind);
        Assert.StartsWith("this replica is already running an analysis", error.Message);
        Assert.NotEmpty((await first).Table);
    }

    public void Dispose() => _services.Dispose();

    private Task<AnalysisResult> Analyze(SweepRanges sweep, LatencyObjective objective, double secondsPerPoint = 0.5) =>
        _analyzer.AnalyzeFileAsync(SampleModels.TextDirection, 1, RepositoryPaths.Model(SampleModels.TextDirection), _shipped, objective, sweep, secondsPerPoint,
            CancellationToken.None).WaitAsync(Timeout);
}
