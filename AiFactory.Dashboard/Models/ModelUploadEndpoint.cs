using AiFactory.Dashboard.Gateway;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AiFactory.Dashboard.Models;

/// <summary>
/// <c>POST /models/{model}/upload</c>: the browser's file on its way to the gateway's
/// <c>POST /api/admin/models/{model}/versions</c>, streamed through with the operator's credential, so the page can show
/// the upload's progress and the gateway audits the operator. The console parses nothing: the body and its content type
/// (the ONNX bytes, or multipart parts <c>model</c> and <c>config</c>) go on as they arrive.
/// </summary>
public static class ModelUploadEndpoint
{
    /// <summary>
    /// The header the page's script sends. A cross-site form cannot set it, and a cross-site script that tries needs a
    /// CORS preflight the console never grants: with the Lax session cookie, no other site can upload in an operator's name.
    /// </summary>
    public const string RequestHeader = "X-AiFactory-Console";

    public static IEndpointRouteBuilder MapModelUpload(this IEndpointRouteBuilder app)
    {
        app.MapPost("/models/{model}/upload", UploadAsync).RequireAuthorization();
        return app;
    }

    private static async Task<Results<Created<UploadedVersion>, JsonHttpResult<UploadError>>> UploadAsync(
        string model, HttpContext context, AdminApiClient admin, IOptions<GatewayOptions> options)
    {
        if (!context.Request.Headers.ContainsKey(RequestHeader))
        {
            return Refused(StatusCodes.Status400BadRequest, $"an upload comes from the console's Models page (the {RequestHeader} header is missing)");
        }

        // Kestrel's default (30 MB) would cut models short; this route alone may carry up to the registry's limit. The
        // gateway counts what arrives and answers 413 above its own limit; Kestrel stops a body beyond this one.
        var limit = options.Value.MaxUploadBytes;
        if (context.Request.ContentLength > limit)
        {
            return Refused(StatusCodes.Status413PayloadTooLarge, $"the upload is larger than the console's limit of {limit} bytes (Gateway:MaxUploadBytes)");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limit;
        }

        try
        {
            var uploaded = await admin.UploadAsync(model, context.Request.Body, context.Request.ContentType, context.Request.ContentLength, context.RequestAborted);
            return TypedResults.Created($"/models#{Uri.EscapeDataString(uploaded.Model)}", uploaded);
        }
        catch (GatewayApiException e)
        {
            return Refused(e.Status ?? StatusCodes.Status502BadGateway, e.Describe());
        }
        catch (BadHttpRequestException e)
        {
            // The browser's body broke off or went past the limit above.
            return Refused(e.StatusCode, $"the upload did not arrive whole: {e.Message}");
        }
    }

    private static JsonHttpResult<UploadError> Refused(int status, string message) => TypedResults.Json(new UploadError(message), statusCode: status);

    public sealed record UploadError(string Error);
}
