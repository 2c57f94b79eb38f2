using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Registry;

namespace AiFactory.Gateway.Analysis;

/// <summary>
/// Calls <c>POST /internal/analyze</c> on an inference replica (service discovery on <c>http://inference</c> picks
/// one). One analysis at a time through this gateway: replicas share the machine, so two analyses at once, even on
/// two replicas, would measure each other; each replica refuses a second one of its own as well.
/// </summary>
public sealed class AnalyzerClient(IHttpClientFactory clients)
{
    public const string ClientName = "inference-analyzer";
    public const string Path = "/internal/analyze";

    /// <summary>What a client told to wait is told to wait (seconds): a short sweep takes about this long.</summary>
    public const int RetryAfterSeconds = 30;

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>The replica's answer, as JSON text.</summary>
    /// <exception cref="RequestRefusedException">
    /// 429 another analysis is running through this gateway; 400 the replica refused the request (naming the field);
    /// 503 no replica could run it now (busy, unreachable, out of time).
    /// </exception>
    public async Task<string> AnalyzeAsync(VersionRecord version, AnalyzeBody body, CancellationToken cancellationToken)
    {
        if (!_oneAtATime.Wait(0))
        {
            throw new RequestRefusedException(StatusCodes.Status429TooManyRequests,
                "an analysis is already running: one at a time, since each measures the machine the replicas share; try again when it has finished");
        }

        try
        {
            var inference = clients.CreateClient(ClientName);
            using var response = await inference.PostAsJsonAsync(Path, Request(version, body), cancellationToken);
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.StatusCode switch
            {
                HttpStatusCode.OK => answer,
                HttpStatusCode.BadRequest => throw RequestRefusedException.BadRequest(Error(answer)),
                _ => throw RequestRefusedException.Unavailable($"the analysis could not run: inference answered {(int)response.StatusCode}: {Error(answer)}"),
            };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw RequestRefusedException.Unavailable($"the analysis could not run: inference cannot be reached or took too long: {e.Message}");
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private static JsonObject Request(VersionRecord version, AnalyzeBody body) => new()
    {
        ["model"] = version.Model,
        ["artifact"] = ValidationClient.Artifact(version),
        ["objective"] = body.Objective.DeepClone(),
        ["sweep"] = body.Sweep?.DeepClone(),
        ["seconds_per_point"] = body.SecondsPerPoint,
    };

    // The replica's {"error": "..."}, or its text as it is.
    private static string Error(string answer)
    {
        try
        {
            return JsonNode.Parse(answer)?["error"]?.GetValue<string>() ?? answer;
        }
        catch (System.Text.Json.JsonException)
        {
            return answer;
        }
    }
}
