using System.Collections.Frozen;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace AiFactory.Gateway.Traffic;

/// <summary>What one replica (one destination of an inference cluster) said it serves when last asked.</summary>
/// <param name="Models">Per model, each version's state as the replica names it (READY, LOADING, UNAVAILABLE).</param>
public sealed record ReplicaObservation(string Cluster, string DestinationId, string Address,
    FrozenDictionary<string, FrozenDictionary<string, string>> Models, DateTimeOffset At)
{
    public bool Serves(string model, string version) =>
        Models.TryGetValue(model, out var versions) && versions.TryGetValue(version, out var state) && state == ReplicaStates.Ready;

    public bool Lists(string model, string version) => Models.TryGetValue(model, out var versions) && versions.ContainsKey(version);
}

/// <summary>The model states of the protocol's <c>model_repository</c> extension.</summary>
public static class ReplicaStates
{
    public const string Ready = "READY";
    public const string Loading = "LOADING";
}

/// <summary>
/// The observed state: every <see cref="TrafficOptions.ObserveInterval"/>, asks each destination of the inference
/// clusters (REST and gRPC: the same processes on two ports, each reached as the proxy reaches it) what it serves,
/// with the protocol's <c>POST /v2/repository/index</c>. A replica counts while YARP's health checks consider it
/// available and its last answer is recent; routing only ever picks versions such replicas serve.
/// </summary>
public sealed partial class ReplicaStateMonitor(
    IProxyStateLookup proxyState,
    IOptions<TrafficOptions> options,
    TimeProvider time,
    ILogger<ReplicaStateMonitor> logger) : BackgroundService
{
    /// <summary>The clusters whose destinations are the inference replicas (appsettings.json, ReverseProxy).</summary>
    public static readonly string[] Clusters = ["inference", "inference-grpc"];

    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2), PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private volatile FrozenDictionary<(string Cluster, string Destination), ReplicaObservation> _observations =
        FrozenDictionary<(string, string), ReplicaObservation>.Empty;

    private readonly TaskCompletionSource _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once every replica has been asked once (whatever they answered).</summary>
    public bool HasObserved => _firstRound.Task.IsCompleted;

    /// <summary>
    /// The replicas that count now in <paramref name="cluster"/>: available to YARP, with a recent answer. Null when
    /// no available replica has answered recently: the gateway then knows nothing, and routes as if it did not look.
    /// </summary>
    public IReadOnlyList<(DestinationState Destination, ReplicaObservation Observation)>? Counted(string cluster)
    {
        if (!proxyState.TryGetCluster(cluster, out var state))
        {
            return null;
        }

        var observations = _observations;
        var stale = time.GetUtcNow() - 3 * options.Value.ObserveInterval - options.Value.ObserveTimeout;
        var counted = new List<(DestinationState, ReplicaObservation)>();
        foreach (var destination in state.DestinationsState.AvailableDestinations)
        {
            if (observations.TryGetValue((cluster, destination.DestinationId), out var observation) && observation.At >= stale)
            {
                counted.Add((destination, observation));
            }
        }

        return counted.Count > 0 ? counted : null;
    }

    /// <summary>Every replica of the REST cluster, available or not, with what it last said (null: never answered).</summary>
    public IReadOnlyList<(string Name, bool Available, ReplicaObservation? Observation)> Replicas()
    {
        if (!proxyState.TryGetCluster(Clusters[0], out var state))
        {
            return [];
        }

        var available = state.DestinationsState.AvailableDestinations.Select(destination => destination.DestinationId).ToHashSet();
        var observations = _observations;
        return [.. state.Destinations.Values.OrderBy(destination => destination.DestinationId, StringComparer.Ordinal)
            .Select(destination => (NameOf(destination), available.Contains(destination.DestinationId),
                observations.GetValueOrDefault((Clusters[0], destination.DestinationId))))];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ObserveInterval, time);
        do
        {
            await ObserveAllAsync(stoppingToken);
            _firstRound.TrySetResult();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Asks every destination of every inference cluster once, all at the same time.</summary>
    public async Task ObserveAllAsync(CancellationToken cancellationToken)
    {
        var asks = new List<Task<ReplicaObservation?>>();
        foreach (var cluster in Clusters)
        {
            if (proxyState.TryGetCluster(cluster, out var state))
            {
                var version = state.Model.Config.HttpRequest?.Version ?? HttpVersion.Version11;
                asks.AddRange(state.Destinations.Values.Select(destination => ObserveAsync(cluster, destination, version, cancellationToken)));
            }
        }

        var answers = await Task.WhenAll(asks);
        var previous = _observations;
        var next = new Dictionary<(string, string), ReplicaObservation>();
        foreach (var answer in answers.OfType<ReplicaObservation>())
        {
            next[(answer.Cluster, answer.DestinationId)] = answer;
        }

        // A replica that did not answer this time keeps its last answer, which ages out of what counts.
        foreach (var (key, observation) in previous)
        {
            next.TryAdd(key, observation);
        }

        _observations = next.ToFrozenDictionary();
    }

    private async Task<ReplicaObservation?> ObserveAsync(string cluster, DestinationState destination, Version httpVersion, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.ObserveTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(destination.Model.Config.Address), "/v2/repository/index"))
            {
                Version = httpVersion,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
            };
            using var response = await _http.SendAsync(request, deadline.Token);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
            var entries = await JsonSerializer.DeserializeAsync(body, TrafficJsonContext.Default.ListRepositoryIndexEntry, deadline.Token) ?? [];
            var models = entries
                .Where(entry => entry.Name is not null && entry.Version is not null && entry.State is not null)
                .GroupBy(entry => entry.Name!, StringComparer.Ordinal)
                .ToFrozenDictionary(group => group.Key, group => group.ToFrozenDictionary(entry => entry.Version!, entry => entry.State!, StringComparer.Ordinal), StringComparer.Ordinal);
            return new ReplicaObservation(cluster, destination.DestinationId, destination.Model.Config.Address, models, time.GetUtcNow());
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or JsonException)
        {
            LogNoAnswer(logger, destination.Model.Config.Address, e.Message);
            return null;
        }
    }

    /// <summary>A replica's name as operators see it: its address.</summary>
    private static string NameOf(DestinationState destination) =>
        Uri.TryCreate(destination.Model.Config.Address, UriKind.Absolute, out var address) ? address.Authority : destination.DestinationId;

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Debug, "Replica {Address} did not say what it serves: {Problem}")]
    private static partial void LogNoAnswer(ILogger logger, string address, string problem);
}

/// <summary>One entry of the protocol's repository index.</summary>
public sealed record RepositoryIndexEntry(
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string? Name,
    [property: System.Text.Json.Serialization.JsonPropertyName("version")] string? Version,
    [property: System.Text.Json.Serialization.JsonPropertyName("state")] string? State);

[System.Text.Json.Serialization.JsonSerializable(typeof(List<RepositoryIndexEntry>))]
internal sealed partial class TrafficJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
