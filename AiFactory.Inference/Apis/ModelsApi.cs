using AiFactory.Inference.Protocol;
using AiFactory.Inference.Protocol.Rest;
using AiFactory.Inference.Runtime;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Inference.Apis;

/// <summary>Model metadata, model readiness and inference (Open Inference Protocol).</summary>
/// <remarks>Refusals are <see cref="InferenceError"/>s, answered by <see cref="InferenceErrorHandler"/>.</remarks>
public static class ModelsApi
{
    public const string Platform = "onnxruntime_onnx";

    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v2/models/{model}").WithTags("Models");

        api.MapGet("/", GetMetadata).WithName("ModelMetadata").WithSummary("Inputs, outputs and versions of a model");
        api.MapGet("/versions/{version}", GetMetadata).WithName("ModelVersionMetadata").WithSummary("Inputs and outputs of one version");
        api.MapGet("/ready", GetReady).WithName("ModelReady").WithSummary("200 when the model can serve");
        api.MapGet("/versions/{version}/ready", GetReady).WithName("ModelVersionReady").WithSummary("200 when the version can serve");
        api.MapPost("/infer", InferAsync).WithName("ModelInfer").WithSummary("Run the model's newest ready version");
        api.MapPost("/versions/{version}/infer", InferAsync).WithName("ModelVersionInfer").WithSummary("Run one version of the model");

        return app;
    }

    private static Ok<ModelMetadataResponse> GetMetadata(string model, string? version, InferenceService inference, Repository.ModelRepository repository)
    {
        var loaded = inference.ResolveReady(model, version);
        return TypedResults.Ok(new ModelMetadataResponse
        {
            Name = loaded.Name,
            Versions = repository.VersionsOf(loaded.Name),
            Platform = Platform,
            Inputs = Describe(loaded.Inputs),
            Outputs = Describe(loaded.Outputs),
            Parameters = new()
            {
                ["execution_provider"] = loaded.Provider,
                ["max_batch_size"] = loaded.Config.MaxBatchSize.ToString(),
                ["dynamic_batching"] = loaded.Config.BatchingEnabled ? "true" : "false",
                // What the server made of the config on this provider: the sizes batches run as, and CUDA graphs.
                ["padded_batch_sizes"] = string.Join(',', loaded.Sessions.Plan.Padding.Sizes),
                ["cuda_graphs"] = loaded.Sessions.Plan.CudaGraphs ? "true" : "false",
            },
        });
    }

    private static Ok GetReady(string model, string? version, InferenceService inference)
    {
        inference.ResolveReady(model, version);
        return TypedResults.Ok();
    }

    private static async Task<InferenceHttpResult> InferAsync(string model, string? version, HttpRequest request, InferenceService inference)
    {
        // Unknown models are answered before reading what may be a large body.
        inference.ResolveReady(model, version);
        using var body = await InferenceRequestReader.ReadAsync(request, inference.Options.MaxRequestBodyBytes, request.HttpContext.RequestAborted);
        var result = await inference.InferAsync(RestInference.Decode(model, version, body.Request, body.Binary), request.HttpContext.RequestAborted);
        // Outputs are ONNX Runtime's own buffers: the pooled request buffer can go back now.
        return RestInference.Encode(result, body.Request);
    }

    private static List<TensorMetadata> Describe(IReadOnlyList<TensorSpec> specs) =>
        [.. specs.Select(spec => new TensorMetadata(spec.Name, spec.Datatype, spec.Shape))];
}
