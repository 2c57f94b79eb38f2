using System.Globalization;
using System.Text.Json;
using AiFactory.Gateway.Traffic;

namespace AiFactory.Gateway.Caching;

/// <summary>
/// The version inference serves for a request that names none (its newest ready version, Triton's rule), so a cached
/// answer is looked up under the version that will answer. Known without a round trip when every replica the gateway
/// counts last said it serves the same newest version (<see cref="ReplicaStateMonitor"/>, every
/// <see cref="TrafficOptions.ObserveInterval"/>); asked of inference (the model's metadata) while they disagree, or
/// while the gateway knows nothing of them.
/// </summary>
/// <remarks>
/// The bound this trades for the round trip: a replica's answer is normally one observation old (1 s), and counts for
/// at most three observations and a timeout (5 s) before a silent replica stops counting; for that long after a new
/// version becomes ready on every replica, a repeated request can still be answered from the previous version's entry,
/// named as such in <c>x-aifactory-model-version</c>. A miss is stored under the version that served
/// it whatever the lookup assumed, so no entry ever holds another version's answer.
/// </remarks>
public sealed class ModelVersionResolver(HttpClient inference, ReplicaStateMonitor replicas)
{
    /// <summary>Named client; its base address is the inference service as service discovery knows it.</summary>
    public const string ClientName = "inference-metadata";

    /// <summary>The version, or null when inference does not know the model or cannot be asked.</summary>
    public async Task<string?> ResolveAsync(string model, CancellationToken cancellationToken)
    {
        if (replicas.Counted(ReplicaStateMonitor.Clusters[0]) is { } counted
            && ServedEverywhere(counted.Select(replica => replica.Observation), model) is { } observed)
        {
            return observed;
        }

        using var response = await inference.GetAsync($"/v2/models/{Uri.EscapeDataString(model)}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var metadata = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        if (!metadata.RootElement.TryGetProperty("versions", out var versions) || versions.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        long? latest = null;
        foreach (var version in versions.EnumerateArray())
        {
            if (long.TryParse(version.GetString(), out var number) && number > (latest ?? 0))
            {
                latest = number;
            }
        }

        return latest?.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The newest version each of <paramref name="observations"/> serves of <paramref name="model"/> (its highest
    /// READY version), when they all name the same one; null when any serves none or they differ.
    /// </summary>
    public static string? ServedEverywhere(IEnumerable<ReplicaObservation> observations, string model)
    {
        string? agreed = null;
        foreach (var observation in observations)
        {
            if (NewestReady(observation, model) is not { } newest || (agreed is not null && agreed != newest))
            {
                return null;
            }

            agreed = newest;
        }

        return agreed;
    }

    private static string? NewestReady(ReplicaObservation observation, string model)
    {
        if (!observation.Models.TryGetValue(model, out var versions))
        {
            return null;
        }

        (long Number, string Name)? newest = null;
        foreach (var (version, state) in versions)
        {
            if (state == ReplicaStates.Ready && long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                && (newest is null || number > newest.Value.Number))
            {
                newest = (number, version);
            }
        }

        // The replica's own spelling of the version: it is what a request names and the cache key holds.
        return newest?.Name;
    }
}
