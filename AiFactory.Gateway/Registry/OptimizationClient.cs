using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Gateway.Errors;
using AiFactory.Optimization.Transforms;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// Calls <c>POST /internal/optimize</c> on an inference replica (service discovery on <c>http://inference</c> picks
/// one): the replica fetches the parent, runs the transform and streams the new model's bytes back, with what it did
/// in the <see cref="DetailsHeader"/> header.
/// </summary>
public sealed class OptimizationClient(HttpClient inference)
{
    public const string ClientName = "inference-optimization";
    public const string Path = "/internal/optimize";
    public const string DetailsHeader = "AiFactory-Transform-Details";

    /// <summary>The replica's answer: the new model's bytes, to read once, and the transform's details and calibration source.</summary>
    public sealed class Result(HttpResponseMessage response, Stream bytes, JsonNode? details, string calibration) : IDisposable
    {
        public Stream Bytes { get; } = bytes;
        public JsonNode? Details { get; } = details;
        public string Calibration { get; } = calibration;

        public void Dispose() => response.Dispose();
    }

    /// <exception cref="RequestRefusedException">422 the transform does not apply (the replica's reason); 503 no replica could run it.</exception>
    public async Task<Result> OptimizeAsync(VersionRecord parent, TransformRequest request, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = parent.Model,
            ["parent"] = ValidationClient.Artifact(parent),
            ["transform"] = request.ToJson(),
            // The version's own samples, when it carries a labelled set: the calibration inputs a replica prefers.
            ["labelled_set"] = parent.LabelledSet is { } set ? JsonNode.Parse(set) : null,
        };
        HttpResponseMessage response;
        try
        {
            // Headers first: the bytes stream on into the object store, never held whole here.
            using var message = new HttpRequestMessage(HttpMethod.Post, Path) { Content = JsonContent.Create(body) };
            response = await inference.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken) is var sent && sent.IsSuccessStatusCode
                ? sent
                : throw await RefusalAsync(sent, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw RequestRefusedException.Unavailable($"no inference replica could run the transform: {e.Message}");
        }

        try
        {
            var header = response.Headers.TryGetValues(DetailsHeader, out var values) ? JsonNode.Parse(values.First()) as JsonObject : null;
            if (header is null)
            {
                throw RequestRefusedException.Unavailable($"the inference replica answered no {DetailsHeader} header: is it an older version?");
            }

            return new Result(response, await response.Content.ReadAsStreamAsync(cancellationToken), header["details"]?.DeepClone(),
                header["calibration"]?.GetValue<string>() ?? "none");
        }
        catch (Exception e)
        {
            response.Dispose();
            throw e is JsonException or InvalidOperationException
                ? RequestRefusedException.Unavailable($"the inference replica answered a {DetailsHeader} header the gateway cannot read: {e.Message}")
                : e;
        }
    }

    // 422 carries the transform's reason to the operator; anything else means no replica could do it now.
    private static async Task<RequestRefusedException> RefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            string message;
            try
            {
                message = (JsonNode.Parse(text) as JsonObject)?["error"]?.GetValue<string>() ?? text;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                message = text;
            }

            return response.StatusCode == HttpStatusCode.UnprocessableEntity
                ? new RequestRefusedException(StatusCodes.Status422UnprocessableEntity, message)
                : RequestRefusedException.Unavailable($"inference answered {(int)response.StatusCode}: {message}");
        }
    }
}
