using AiFactory.Inference.Protocol;
using AiFactory.Inference.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AiFactory.Inference.Apis;

/// <summary>
/// <c>POST /internal/validate</c>: the registry's validation of a model version, called by the gateway's validation
/// worker. Not under <c>/v2</c>, so the gateway never proxies it to clients; in a cluster the NetworkPolicy lets only
/// the gateway reach inference.
/// </summary>
public static class ValidationApi
{
    public const string Path = "/internal/validate";

    public static IEndpointRouteBuilder MapValidationApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, ValidateAsync).WithTags("Registry").WithName("ValidateModelVersion")
            .WithSummary("Validate a model version from the object store against the version taking traffic; answers the report");
        return app;
    }

    private static async Task<Results<Ok<ValidationReport>, JsonHttpResult<ErrorResponse>>> ValidateAsync(
        ValidationRequest request, ModelValidator validator, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await validator.ValidateAsync(request, cancellationToken));
        }
        catch (InferenceException e)
        {
            return ModelsApi.Error(e);
        }
    }
}
