using System.Text.Json;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace AiFactory.Gateway.ModelControl;

/// <summary>
/// Sends one <c>model_repository</c> operation (load or unload of a model) to every inference replica the gateway
/// routes to, so that what a model serves never depends on which replica a proxied call happened to reach.
/// </summary>
/// <remarks>
/// Every destination of the YARP cluster is told, healthy or not: health checks say whether a replica should take
/// inference traffic, not whether it is reachable (a replica may be unready while it loads). A replica that cannot
/// be reached cannot be told, and is reported as such.
/// </remarks>
public sealed partial class RepositoryBroadcast(IProxyStateLookup proxy, ILogger<RepositoryBroadcast> logger)
{
    /// <summary>The YARP cluster of the inference replicas' REST endpoints (appsettings.json, ReverseProxy:Clusters).</summary>
    public const string ClusterId = "inference";

    /// <summary>A replica's error answer is read up to this many bytes: enough for <c>{"error": ...}</c>, never more.</summary>
    public const int MaxErrorBytes = 4096;

    // YARP's own default for ForwarderRequestConfig.ActivityTimeout, when the cluster sets none.
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);

    /// <summary>
    /// POSTs <c>/v2/repository/models/{model}/{operation}</c> to every replica at once; one outcome per replica, in the
    /// cluster's order (none when the cluster has no destination).
    /// </summary>
    /// <param name="model">A valid model name (<see cref="Routing.ModelName.IsValid"/>).</param>
    public async Task<ReplicaOutcome[]> SendAsync(string model, RepositoryOperation operation, CancellationToken cancellationToken)
    {
        if (!proxy.TryGetCluster(ClusterId, out var cluster))
        {
            return [];
        }

        // The same limit a proxied call had: how long a replica may stay silent (loading a model can take minutes).
        var timeout = cluster.Model.Config.HttpRequest?.ActivityTimeout ?? DefaultTimeout;
        var path = $"v2/repository/models/{Uri.EscapeDataString(model)}/{operation.ToString().ToLowerInvariant()}";
        return await Task.WhenAll(cluster.DestinationsState.AllDestinations
            .Select(destination => SendAsync(cluster.Model.HttpClient, destination, path, timeout, cancellationToken)));
    }

    private async Task<ReplicaOutcome> SendAsync(HttpMessageInvoker http, DestinationState destination, string path, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var address = destination.Model.Config.Address;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(address.TrimEnd('/') + "/"), path))
            {
                Content = new ByteArrayContent([]),
            };
            // A destination resolved to an address keeps the name it came from, as YARP sends it.
            request.Headers.Host = destination.Model.Config.Host;
            using var response = await http.SendAsync(request, timer.Token);
            return response.IsSuccessStatusCode
                ? new ReplicaOutcome(destination.DestinationId, address, (int)response.StatusCode, null)
                : new ReplicaOutcome(destination.DestinationId, address, (int)response.StatusCode, await ErrorOfAsync(response, timer.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, destination.DestinationId, address, null);
            return new ReplicaOutcome(destination.DestinationId, address, ReplicaOutcome.Unreachable, $"did not answer within {timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            LogUnreachable(logger, destination.DestinationId, address, e);
            return new ReplicaOutcome(destination.DestinationId, address, ReplicaOutcome.Unreachable, $"could not be reached ({e.Message})");
        }
    }

    /// <summary>The replica's <c>{"error"}</c> message, read within <see cref="MaxErrorBytes"/>; else its status.</summary>
    private static async Task<string> ErrorOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxErrorBytes];
        var length = 0;
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            int read;
            while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
            }
        }

        try
        {
            using var json = JsonDocument.Parse(buffer.AsMemory(0, length));
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.String)
            {
                return error.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not the protocol's error shape (or longer than we read): the status says what there is to say.
        }

        return $"answered {(int)response.StatusCode} {response.ReasonPhrase}";
    }

    [LoggerMessage(LogLevel.Warning, "Inference replica {Destination} at {Address} could not be told of a repository operation")]
    private static partial void LogUnreachable(ILogger logger, string destination, string address, Exception? exception);
}

/// <summary>The <c>model_repository</c> extension's operations on one model.</summary>
public enum RepositoryOperation
{
    Load,
    Unload,
}

/// <summary>What one replica answered: its HTTP status (<see cref="Unreachable"/> when none came) and, on failure, why.</summary>
public sealed record ReplicaOutcome(string Replica, string Address, int Status, string? Error)
{
    public const int Unreachable = 0;

    public bool Succeeded => Status is >= 200 and < 300;
}
