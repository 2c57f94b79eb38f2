using System.Text.Json;
using AiFactory.Gateway.ModelControl;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace AiFactory.Gateway.Overview;

/// <summary>
/// Asks every inference replica the gateway routes to (every destination of its YARP cluster, healthy or not) for its
/// status (<c>GET /internal/status</c>: queue depth, model versions, execution providers) and its OIP statistics
/// (<c>GET /v2/models/stats</c>: inference and execution counts), through the cluster's own HTTP client.
/// </summary>
public sealed partial class ReplicaProbe(IProxyStateLookup proxy, IOptions<OverviewOptions> options, ILogger<ReplicaProbe> logger)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<IReadOnlyList<ReplicaReading>> ReadAllAsync(CancellationToken cancellationToken)
    {
        if (!proxy.TryGetCluster(RepositoryBroadcast.ClusterId, out var cluster))
        {
            return [];
        }

        var routed = cluster.DestinationsState.AvailableDestinations.ToHashSet();
        return await Task.WhenAll(cluster.DestinationsState.AllDestinations
            .Select(destination => ReadAsync(cluster.Model.HttpClient, destination, routed.Contains(destination), cancellationToken)));
    }

    private async Task<ReplicaReading> ReadAsync(HttpMessageInvoker http, DestinationState destination, bool routed, CancellationToken cancellationToken)
    {
        var address = destination.Model.Config.Address;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(options.Value.ReplicaTimeout);
        try
        {
            var status = await GetAsync<StatusBody>(http, destination, "internal/status", timer.Token);
            var statistics = await GetAsync<StatisticsBody>(http, destination, "v2/models/stats", timer.Token);
            var view = new ReplicaView(destination.DestinationId, address, Reachable: true, status.Ready, routed, status.QueueDepth,
                [.. status.Models.Select(model => new ReplicaModelView(model.Name, model.Version, model.State, model.Provider))], Error: null,
                status.Providers ?? []);
            return new ReplicaReading(view, [.. statistics.ModelStats.Select(stats =>
                new BatchSizeTracker.VersionCounts(destination.DestinationId, stats.Name, stats.Version, stats.InferenceCount, stats.ExecutionCount))]);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogUnreadable(logger, destination.DestinationId, address, e.Message);
            var error = e is OperationCanceledException ? $"did not answer within {options.Value.ReplicaTimeout.TotalSeconds:0.#} s" : e.Message;
            return new ReplicaReading(new ReplicaView(destination.DestinationId, address, Reachable: false, Ready: null, routed, null, [], error), []);
        }
    }

    private static async Task<T> GetAsync<T>(HttpMessageInvoker http, DestinationState destination, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(destination.Model.Config.Address.TrimEnd('/') + "/"), path));
        request.Headers.Host = destination.Model.Config.Host;
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET /{path} answered {(int)response.StatusCode}");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync<T>(body, Json, cancellationToken) ?? throw new JsonException($"GET /{path} answered null");
    }

    [LoggerMessage(LogLevel.Debug, "Inference replica {Destination} at {Address} could not be read for the overview: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string destination, string address, string reason);

    private sealed record StatusBody(bool Ready, long QueueDepth, List<StatusModel> Models, List<string>? Providers);

    private sealed record StatusModel(string Name, string Version, string State, string? Provider);

    private sealed record StatisticsBody(List<StatisticsModel> ModelStats);

    private sealed record StatisticsModel(string Name, string Version, long InferenceCount, long ExecutionCount);
}

/// <summary>One replica as read now: what the overview shows of it, and its counters for the mean batch size.</summary>
public sealed record ReplicaReading(ReplicaView View, IReadOnlyList<BatchSizeTracker.VersionCounts> Counts);
