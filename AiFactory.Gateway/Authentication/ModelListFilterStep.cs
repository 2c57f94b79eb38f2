using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Gateway.Caching;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// For a key with a model allow-list, the answers that list every model (<c>POST /v2/repository/index</c>,
/// <c>GET /v2/models/stats</c>) keep only the models on the list, in the protocol's shape: the answer is held (up to
/// <see cref="ModelAccessOptions.MaxModelListBytes"/>), filtered, and sent with its new length. Keys without a
/// list see every model.
/// </summary>
public sealed class ModelListFilterStep(IOptions<ModelAccessOptions> options) : IProxyStep
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (context.GetApiKey() is not { Models: { } allowed } || OipTarget.Of(context) is not { ListsModels: true } target)
        {
            await next();
            return;
        }

        var limit = options.Value.MaxModelListBytes;
        var response = context.Response;
        var original = response.Body;
        // Nothing reaches the client until the list is filtered.
        var held = new CapturingStream(Stream.Null, limit);
        response.Body = held;
        try
        {
            await next();
        }
        finally
        {
            response.Body = original;
        }

        if (held.Captured is not { } answer)
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status502BadGateway,
                $"inference's model list is larger than {limit} bytes ({ModelAccessOptions.SectionName}:{nameof(ModelAccessOptions.MaxModelListBytes)}), too large to filter for the API key's model allow-list");
            return;
        }

        byte[] body;
        try
        {
            // Errors pass unchanged: they list no models.
            body = response.StatusCode == StatusCodes.Status200OK ? Filter(target.Operation, answer, allowed) : answer.ToArray();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status502BadGateway, "inference's model list could not be read to filter it for the API key's model allow-list");
            return;
        }

        response.ContentLength = body.Length;
        await original.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>The index is an array of entries; the statistics an object whose <c>model_stats</c> is one. Each entry names its model in <c>name</c>.</summary>
    private static byte[] Filter(OipOperation operation, ReadOnlyMemory<byte> answer, string[] allowed)
    {
        var root = JsonNode.Parse(answer.Span) ?? throw new JsonException("empty answer");
        var entries = operation == OipOperation.RepositoryIndex ? root.AsArray() : root["model_stats"]?.AsArray() ?? throw new JsonException("no model_stats");
        entries.RemoveAll(entry => entry?["name"] is not JsonValue name || !name.TryGetValue<string>(out var model) || !allowed.Contains(model, StringComparer.Ordinal));
        return JsonSerializer.SerializeToUtf8Bytes(root);
    }
}
