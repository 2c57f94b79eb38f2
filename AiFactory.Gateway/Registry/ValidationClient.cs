using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// Calls <c>POST /internal/validate</c> on an inference replica (service discovery on <c>http://inference</c> picks
/// one) and turns its report into the version's outcome.
/// </summary>
public sealed class ValidationClient(HttpClient inference)
{
    public const string ClientName = "inference-validation";
    public const string Path = "/internal/validate";

    /// <summary>The seed of the generated inputs: the same for every validation, so reports compare.</summary>
    public const int Seed = 42;

    /// <summary>A validation no replica could run now (none reachable, one busy or failing): try again later.</summary>
    public sealed class UnavailableException(string message, Exception? inner = null) : Exception(message, inner);

    /// <exception cref="UnavailableException">No replica answered with a report.</exception>
    public async Task<ValidationOutcome> ValidateAsync(ValidationClaim claim, CancellationToken cancellationToken)
    {
        var request = Request(claim);
        string report;
        try
        {
            using var response = await inference.PostAsJsonAsync(Path, request, cancellationToken);
            report = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new UnavailableException($"inference answered {(int)response.StatusCode}: {report}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new UnavailableException($"inference cannot be reached: {e.Message}", e);
        }

        try
        {
            return Outcome(report);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new UnavailableException($"inference answered a report the gateway cannot read ({e.Message}): {report}", e);
        }
    }

    /// <summary>
    /// The request body: the candidate and its reference, each with what inference needs to fetch and check it, and the
    /// candidate's labelled set (its parent's, for a derived version), which inference scores on both.
    /// </summary>
    public static JsonObject Request(ValidationClaim claim) => new()
    {
        ["model"] = claim.Candidate.Model,
        ["version"] = claim.Candidate.Version,
        ["candidate"] = Artifact(claim.Candidate),
        ["reference"] = claim.Reference is { } reference ? Artifact(reference) : null,
        ["seed"] = Seed,
        ["labelled_set"] = claim.Candidate.LabelledSet is { } set ? JsonNode.Parse(set) : null,
    };

    /// <summary>
    /// <c>ready</c> when the report passed (with, for an incompatible signature, a reason saying traffic needs force),
    /// else <c>invalid</c> with the report's first problem as the reason.
    /// </summary>
    public static ValidationOutcome Outcome(string report)
    {
        var json = JsonNode.Parse(report) as JsonObject ?? throw new UnavailableException("inference answered a report that is not a JSON object");
        var problems = (json["problems"] as JsonArray ?? []).Select(problem => problem?.GetValue<string>() ?? "").ToList();
        var signature = json["signature"] as JsonObject;
        var load = json["load"] as JsonObject;
        var storedSignature = signature is null ? null : new JsonObject { ["inputs"] = signature["inputs"]?.DeepClone(), ["outputs"] = signature["outputs"]?.DeepClone() }.ToJsonString();
        var opset = load?["opset"] is JsonValue opsetValue && opsetValue.TryGetValue<int>(out var number) ? number : (int?)null;
        var producer = load?["producer"] is JsonValue producerValue && producerValue.TryGetValue<string>(out var text) ? text : null;
        if (json["passed"]?.GetValue<bool>() != true)
        {
            return new ValidationOutcome(VersionStates.Invalid, problems.FirstOrDefault() ?? "validation failed", report, storedSignature, opset, producer);
        }

        var reason = signature?["compatible"]?.GetValue<bool>() == false
            ? $"its signature is not compatible with version {signature["compatible_with"]}: {string.Join("; ", (signature["changes"] as JsonArray ?? []).Select(change => change?.GetValue<string>()))}; "
              + "traffic needs \"force\" and a reason"
            : "";
        return new ValidationOutcome(VersionStates.Ready, reason, report, storedSignature, opset, producer);
    }

    /// <summary>What inference needs to fetch a version's artifact and check it: its key, size, SHA-256 and config.</summary>
    public static JsonObject Artifact(VersionRecord version) => new()
    {
        ["version"] = version.Version,
        ["storage_key"] = version.StorageKey,
        ["sha256"] = version.Sha256,
        ["size_bytes"] = version.SizeBytes,
        ["config"] = JsonNode.Parse(version.Config),
    };
}
