using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Registry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace AiFactory.Gateway.Apis;

/// <summary><c>/api/admin/models</c>: the registry's models and versions, and uploads of new versions (admin scope).</summary>
public static class ModelsApi
{
    public const string Prefix = "/api/admin/models";

    /// <summary>What a request body may carry beyond the model and its labelled set: multipart boundaries and headers, a config part (at most 64 KiB).</summary>
    private const long UploadFramingBytes = 1024 * 1024;

    /// <summary>How long a connection refused mid-body stays open after the answer (see <see cref="RefuseUnreadBodyAsync"/>).</summary>
    private static readonly TimeSpan UnreadBodyLinger = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup(Prefix).WithTags("Models");
        api.MapGet("/", ListAsync).WithName("ListModels")
            .WithSummary("Every model: its versions, desired and observed traffic, each replica's state");
        api.MapGet("/{model}", GetAsync).WithName("GetModel")
            .WithSummary("One model: its versions with their validation reports, desired and observed traffic, each replica's state")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        api.MapPost("/{model}/versions", UploadAsync).WithName("UploadModelVersion")
            .WithSummary("Upload the model's next version: the body is the ONNX file (streamed), or multipart parts 'model', 'config' and 'labelled_set'. "
                         + "It starts validating, with no traffic")
            .WithDescription("Body: application/octet-stream, the ONNX bytes, with the version's config.json in the query parameter 'config'; or "
                             + "multipart/form-data with a part 'model' (the bytes), optionally a part 'config' and optionally a part 'labelled_set' "
                             + "(inputs and expected outputs its validation scores it on; docs/optimization.md). At most Registry:MaxUploadBytes "
                             + "for the model and Registry:MaxLabelledSetBytes for the labelled set.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // Documented here rather than with Accepts(), whose content-type matching would answer other types
                // with a bare 415 before the handler can say what to send.
                operation.RequestBody = UploadBody();
                return Task.CompletedTask;
            })
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status409Conflict)
            .Produces<ErrorBody>(StatusCodes.Status413PayloadTooLarge).Produces<ErrorBody>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/{model}/versions/{version}", GetVersionAsync).WithName("GetModelVersion")
            .WithSummary("One version with its state and validation report")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        return app;
    }

    private static OpenApiRequestBody UploadBody()
    {
        var bytes = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The ONNX model's bytes" };
        return new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/octet-stream"] = new() { Schema = bytes },
                ["multipart/form-data"] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "model" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["model"] = bytes,
                            ["config"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The version's config.json, a JSON object of at most 64 KiB" },
                            ["labelled_set"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The version's labelled set (JSON, docs/optimization.md)" },
                        },
                    },
                },
            },
        };
    }

    private static async Task<Ok<ModelView[]>> ListAsync(RegistryStore registry, IObservedTraffic observed, CancellationToken cancellationToken) =>
        TypedResults.Ok((await registry.ListModelsAsync(cancellationToken)).Select(model => ModelView.Of(model, observed)).ToArray());

    private static async Task<Ok<ModelView>> GetAsync(string model, RegistryStore registry, IObservedTraffic observed, CancellationToken cancellationToken)
    {
        var found = await registry.FindModelAsync(RegistryNames.Model(model), cancellationToken)
                    ?? throw RequestRefusedException.NotFound($"the registry has no model '{model}'");
        return TypedResults.Ok(ModelView.Of(found, observed));
    }

    private static async Task<Ok<VersionView>> GetVersionAsync(string model, string version, RegistryStore registry, CancellationToken cancellationToken)
    {
        var number = RegistryNames.Version(version);
        var found = await registry.FindVersionAsync(RegistryNames.Model(model), number, cancellationToken)
                    ?? throw RequestRefusedException.NotFound($"the registry has no version {number} of model '{model}'");
        return TypedResults.Ok(VersionView.Of(found));
    }

    private static async Task<Results<Created<UploadedVersion>, EmptyHttpResult>> UploadAsync(
        string model, [FromQuery] string? config, HttpContext context, UploadService uploads, LabelledSetUploads labelledSets, IOptions<RegistryOptions> options)
    {
        RegistryNames.Model(model);
        var queryConfig = ModelConfigDocument.Parse(config);
        var request = context.Request;
        var limit = options.Value.MaxUploadBytes;
        // Refused before a byte is read: a client that sent Expect: 100-continue then sends none.
        if (request.ContentLength > limit)
        {
            context.Response.Headers.Connection = "close";
            throw UploadService.TooLarge(limit);
        }

        // Kestrel's own limit (Kestrel:Limits:MaxRequestBodySize, 1 MiB) would cut models short. The store stops at
        // the limit and one byte of the model, counted on the bytes that arrive; Kestrel's limit, above it by room for
        // multipart framing and a config part, is the backstop (UploadService answers it as the same 413).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limit + options.Value.MaxLabelledSetBytes + UploadFramingBytes;
        }

        var cancellationToken = context.RequestAborted;
        UploadService.StagedUpload staged;
        string? partConfig;
        LabelledSetRecord? labelledSet;
        try
        {
            (staged, partConfig, labelledSet) = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
                ? await ReadMultipartAsync(model, request, type, uploads, labelledSets, cancellationToken)
                : request.ContentType is null || type?.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase) == true
                    ? (await uploads.StageAsync(request.Body, cancellationToken), null, null)
                    : throw new RequestRefusedException(StatusCodes.Status415UnsupportedMediaType,
                        "send the model as application/octet-stream, or as multipart/form-data with the parts 'model' and 'config'");
        }
        catch (RequestRefusedException refusal)
        {
            await RefuseUnreadBodyAsync(context, refusal);
            return TypedResults.Empty;
        }

        if (partConfig is not null && config is not null)
        {
            await uploads.DiscardAsync(staged);
            throw RequestRefusedException.BadRequest("'config' is given twice: in the query and as a part");
        }

        var added = await uploads.AddAsync(staged, model, partConfig ?? queryConfig, context.GetApiKey()!.Id, cancellationToken, labelledSet: labelledSet);
        return TypedResults.Created($"{Prefix}/{model}/versions/{added.Version}", UploadedVersion.Of(added));
    }

    /// <summary>
    /// Answers a refusal that came before the body was read whole, then closes the connection rather than drain the
    /// rest (it may be gigabytes). The close waits <see cref="UnreadBodyLinger"/> first, so that a client still sending
    /// reads the answer before the reset that closing on unread bytes sends (a lingering close, RFC 9112 §9.6); it
    /// stops waiting when the client goes away.
    /// </summary>
    internal static async Task RefuseUnreadBodyAsync(HttpContext context, RequestRefusedException refusal)
    {
        context.Response.Headers.Connection = "close";
        await GatewayErrors.WriteAsync(context, refusal.Status, refusal.Message);
        await context.Response.CompleteAsync();
        try
        {
            await Task.Delay(UnreadBodyLinger, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client closed first: nothing is left to wait for.
        }
    }

    /// <summary>
    /// The parts 'model' (streamed into the store as it arrives), 'config' and 'labelled_set' (checked and stored by its
    /// content address as it arrives), in any order. A labelled set stored before a later part is refused stays at its
    /// address: content-addressed, it is what any upload of the same set would store.
    /// </summary>
    private static async Task<(UploadService.StagedUpload Staged, string? Config, LabelledSetRecord? LabelledSet)> ReadMultipartAsync(
        string model, HttpRequest request, MediaTypeHeaderValue type, UploadService uploads, LabelledSetUploads labelledSets, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw RequestRefusedException.BadRequest("the multipart/form-data Content-Type has no boundary");
        }

        var reader = new MultipartReader(boundary, request.Body);
        UploadService.StagedUpload? staged = null;
        string? config = null;
        LabelledSetRecord? labelledSet = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    ? HeaderUtilities.RemoveQuotes(disposition.Name).Value
                    : null;
                switch (name)
                {
                    case "model" when staged is null:
                        staged = await uploads.StageAsync(section.Body, cancellationToken);
                        break;
                    case "config" when config is null:
                        config = await ModelConfigDocument.ReadAsync(section.Body, cancellationToken);
                        break;
                    case "labelled_set" when labelledSet is null:
                        labelledSet = await labelledSets.StoreAsync(model, section.Body, cancellationToken);
                        break;
                    default:
                        throw RequestRefusedException.BadRequest(
                            $"unexpected part {RegistryNames.Quote(name ?? "")}: a multipart upload has one part 'model', at most one part 'config' and at most one part 'labelled_set'");
                }
            }

            return (staged ?? throw RequestRefusedException.BadRequest("the multipart upload has no part 'model'"), config, labelledSet);
        }
        catch (Exception e)
        {
            if (staged is not null)
            {
                await uploads.DiscardAsync(staged);
            }

            if (e is InvalidDataException)
            {
                throw RequestRefusedException.BadRequest($"the multipart body is malformed: {e.Message}");
            }

            throw;
        }
    }
}
