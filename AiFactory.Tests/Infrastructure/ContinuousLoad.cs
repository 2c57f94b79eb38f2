using System.Diagnostics;

namespace AiFactory.Tests.Infrastructure;

/// <summary>One request of a <see cref="ContinuousLoad"/>: when it started and ended (on the load's clock), and how it went.</summary>
public sealed record LoadSample(TimeSpan Started, TimeSpan Ended, int Status, string? Version, string? Error)
{
    public override string ToString() => $"{Started.TotalSeconds:0.000}s {Status} v{Version} {Error}";
}

/// <summary>
/// Requests sent back to back by a few workers until stopped, each recorded: the load a rollout or an outage must
/// not lose a request of.
/// </summary>
public sealed class ContinuousLoad
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<LoadSample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;

    private ContinuousLoad(int workers, Func<int, CancellationToken, Task<(int Status, string? Version, string? Error)>> send) =>
        _workers = [.. Enumerable.Range(0, workers).Select(worker => Task.Run(() => RunAsync(worker, send)))];

    /// <summary>The load's clock: sample times and <see cref="Now"/> are on it.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Starts <paramref name="workers"/> workers, each calling <paramref name="send"/> (with its number) in a loop.</summary>
    public static ContinuousLoad Start(int workers, Func<int, CancellationToken, Task<(int Status, string? Version, string? Error)>> send) =>
        new(workers, send);

    /// <summary>
    /// A gateway client for the load, under a key of its own whose rate limit (the API's maximum) is far above what a
    /// load sent back to back reaches: the bootstrap key's default limit (1,000 per second) would refuse some of it on
    /// a fast machine, and only the rollout or the outage under test may fail a request.
    /// </summary>
    public static async Task<HttpClient> ClientAsync(AppHostFixture fixture, string name)
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync(name, ["infer"], requestsPerSecond: 1_000_000, burst: 1_000_000);
        return fixture.CreateGatewayClient(key);
    }

    /// <summary>An inference request through <paramref name="client"/>, uncached, as a load step.</summary>
    public static async Task<(int Status, string? Version, string? Error)> InferAsync(HttpClient client, string path, HttpContent content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoCache = true };
        using var response = await client.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var version = response.Headers.TryGetValues("x-aifactory-model-version", out var values) ? values.Single() : null;
        return ((int)response.StatusCode, version, response.IsSuccessStatusCode ? null : body);
    }

    /// <summary>Stops the workers (each finishes the request it is in) and returns every sample, by start time.</summary>
    public async Task<IReadOnlyList<LoadSample>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(60));
        lock (_samples)
        {
            return [.. _samples.OrderBy(sample => sample.Started)];
        }
    }

    private async Task RunAsync(int worker, Func<int, CancellationToken, Task<(int Status, string? Version, string? Error)>> send)
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = _clock.Elapsed;
            LoadSample sample;
            try
            {
                // Not the stop token: a request in flight when the load stops is let finish, and counted.
                var (status, version, error) = await send(worker, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
                sample = new LoadSample(started, _clock.Elapsed, status, version, error);
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException or TaskCanceledException)
            {
                sample = new LoadSample(started, _clock.Elapsed, 0, null, e.Message);
            }

            lock (_samples)
            {
                _samples.Add(sample);
            }
        }
    }
}
