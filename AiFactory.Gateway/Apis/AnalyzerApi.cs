using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Gateway.Analysis;
using AiFactory.Gateway.Authentication;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Gateway.Apis;

/// <summary>
/// The model analyzer (admin scope): <c>POST /api/admin/models/{model}/versions/{version}/analyze</c> sweeps a ready
/// version's serving configurations on one replica and answers the table, the shipped config's rows and the
/// recommendation, stored under an id; <c>POST /api/admin/analyses/{id}/apply</c> makes the recommendation a new
/// version on the same bytes, which validates like any.
/// </summary>
public static class AnalyzerApi
{
    public const string AnalysesPrefix = "/api/admin/analyses";

    public static IEndpointRouteBuilder MapAnalyzerApi(this IEndpointRouteBuilder app)
    {
        app.MapAdminGroup(ModelsApi.Prefix).WithTags("Analyzer")
            .MapPost("/{model}/versions/{version}/analyze", AnalyzeAsync).WithName("AnalyzeModelVersion")
            .WithSummary("Sweep the version's serving configurations under generated load and recommend the one with the highest throughput that meets a latency objective")
            .WithDescription("Body: {\"objective\": {\"percentile\": 95|99, \"latency_ms\": n}, \"sweep\": {\"max_batch_size\": [..], \"max_queue_delay_us\": [..], "
                             + "\"instance_count\": [..], \"intra_op_threads\": [..], \"execution_provider\": [..], \"concurrency\": [..]}, \"seconds_per_point\": s}; "
                             + "only the objective is required. At most 24 points and 2 minutes of measuring; one analysis at a time (429 otherwise). Audited as "
                             + AnalysisStore.AuditAction + ".")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound)
            .Produces<ErrorBody>(StatusCodes.Status409Conflict).Produces<ErrorBody>(StatusCodes.Status429TooManyRequests)
            .Produces<ErrorBody>(StatusCodes.Status503ServiceUnavailable);
        app.MapAdminGroup(AnalysesPrefix).WithTags("Analyzer")
            .MapPost("/{id}/apply", ApplyAsync).WithName("ApplyAnalysis")
            .WithSummary("Make the analysis's recommendation a new version: the parent's bytes with the recommended config, lineage 'analyzer'; it starts validating")
            .Produces<ErrorBody>(StatusCodes.Status400BadRequest).Produces<ErrorBody>(StatusCodes.Status404NotFound)
            .Produces<ErrorBody>(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<ContentHttpResult> AnalyzeAsync(string model, string version, JsonElement body, HttpContext context, RegistryStore registry,
        AnalysisStore analyses, AnalyzerClient analyzer, CancellationToken cancellationToken)
    {
        var name = RegistryNames.Model(model);
        var number = RegistryNames.Version(version);
        var request = AnalyzeBody.Parse(body);
        var found = await registry.FindVersionAsync(name, number, cancellationToken) switch
        {
            null => throw RequestRefusedException.NotFound($"the registry has no version {number} of model '{name}'"),
            { State: VersionStates.Ready } ready => ready,
            var other => throw RequestRefusedException.Conflict($"version {number} of model '{name}' is {other.State}: only a ready version can be analyzed"),
        };

        string result;
        try
        {
            result = await analyzer.AnalyzeAsync(found, request, cancellationToken);
        }
        catch (RequestRefusedException busy) when (busy.Status == StatusCodes.Status429TooManyRequests)
        {
            context.Response.Headers.RetryAfter = AnalyzerClient.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw;
        }

        var id = await analyses.AddAsync(name, number, request.Objective.ToJsonString(), result, context.GetApiKey()!.Id, cancellationToken);
        var answer = new JsonObject { ["id"] = id };
        foreach (var (field, value) in (JsonObject)JsonNode.Parse(result)!)
        {
            answer[field] = value?.DeepClone();
        }

        return TypedResults.Content(answer.ToJsonString(), "application/json");
    }

    private static async Task<Created<VersionView>> ApplyAsync(string id, HttpContext context, RegistryStore registry, AnalysisStore analyses,
        ValidationWorker validation, CancellationToken cancellationToken)
    {
        var number = long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? parsed
            : throw RequestRefusedException.BadRequest($"the analysis id {RegistryNames.Quote(id)} is not a positive integer");
        var analysis = await analyses.FindAsync(number, cancellationToken) ?? throw RequestRefusedException.NotFound($"there is no analysis {number}");
        var result = JsonNode.Parse(analysis.Result)!.AsObject();
        if (result["recommendation"] is not JsonObject recommendation)
        {
            throw RequestRefusedException.Conflict($"analysis {number} recommends nothing to apply: {result["answer"]}");
        }

        var changes = recommendation["changes"]!.AsObject();
        if (changes.Count == 0)
        {
            throw RequestRefusedException.Conflict($"analysis {number} recommends version {analysis.Version}'s own config: there is nothing to apply");
        }

        var parent = RegistryStore.RequireDerivable(analysis.Model, analysis.Version, await registry.FindVersionAsync(analysis.Model, analysis.Version, cancellationToken));
        var lineage = new JsonObject
        {
            ["name"] = "analyzer",
            ["analysis"] = number,
            ["objective"] = JsonNode.Parse(analysis.Objective),
            ["changes"] = changes.DeepClone(),
        };
        var added = await registry.AddDerivedVersionAsync(new RegistryStore.DerivedVersion(analysis.Model, analysis.Version, parent.Sha256, parent.SizeBytes,
            parent.StorageKey, recommendation["config"]!.ToJsonString(), lineage.ToJsonString(), context.GetApiKey()!.Id), cancellationToken);
        validation.Wake();
        return TypedResults.Created($"{ModelsApi.Prefix}/{added.Model}/versions/{added.Version}", VersionView.Of(added));
    }
}
