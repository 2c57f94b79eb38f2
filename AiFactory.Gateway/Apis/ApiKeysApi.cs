using AiFactory.Gateway.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AiFactory.Gateway.Apis;

/// <summary><c>/api/admin/keys</c>: create, list and revoke API keys (admin scope).</summary>
public static class ApiKeysApi
{
    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup("/api/admin/keys").WithTags("API keys");
        api.MapPost("/", CreateAsync).WithName("CreateApiKey").WithSummary("Create a key; its plaintext is returned this once");
        api.MapGet("/", ListAsync).WithName("ListApiKeys").WithSummary("List keys (without secrets)");
        api.MapDelete("/{id}", RevokeAsync).WithName("RevokeApiKey").WithSummary("Revoke a key on every gateway replica within a second");
        return app;
    }

    private static async Task<Results<Created<CreatedKey>, BadRequest<ErrorBody>>> CreateAsync(
        CreateKeyRequest request, HttpContext context, ApiKeyStore store, CancellationToken cancellationToken)
    {
        if (Validate(request) is { } problem)
        {
            return TypedResults.BadRequest(new ErrorBody(problem));
        }

        var (key, plaintext) = await store.CreateAsync(new ApiKeyStore.NewKey(request.Name!.Trim(), request.Scopes!.Distinct().ToArray(),
            request.Models, request.RequestsPerSecond, request.Burst, request.MaxConcurrency), context.GetApiKey()!.Id, cancellationToken);
        return TypedResults.Created($"/api/admin/keys/{key.Id}", new CreatedKey(plaintext, KeyView.Of(key)));
    }

    private static async Task<Ok<KeyView[]>> ListAsync(ApiKeyStore store, CancellationToken cancellationToken, [FromQuery(Name = "include_revoked")] bool includeRevoked = false) =>
        TypedResults.Ok((await store.ListAsync(includeRevoked, cancellationToken)).Select(KeyView.Of).ToArray());

    private static async Task<Results<Ok<KeyView>, NotFound<ErrorBody>>> RevokeAsync(
        string id, HttpContext context, ApiKeyStore store, ApiKeyValidator validator, CancellationToken cancellationToken)
    {
        var key = await store.RevokeAsync(id, context.GetApiKey()!.Id, cancellationToken);
        if (key is null)
        {
            return TypedResults.NotFound(new ErrorBody($"no API key has the id '{id}'"));
        }

        // This replica stops at once; the others at their next revocation poll.
        validator.Forget(id);
        return TypedResults.Ok(KeyView.Of(key));
    }

    private static string? Validate(CreateKeyRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            return "'name' is required, at most 200 characters";
        }

        if (request.Scopes is not { Length: > 0 } || request.Scopes.Any(scope => !ApiKeyScopes.All.Contains(scope)))
        {
            return $"'scopes' must hold one or more of: {string.Join(", ", ApiKeyScopes.All)}";
        }

        if (request.Models is { } models && (models.Length == 0 || models.Any(string.IsNullOrWhiteSpace)))
        {
            return "'models' must be omitted (every model) or list model names";
        }

        if (request.RequestsPerSecond is <= 0 or > 1_000_000 || request.RequestsPerSecond is double.NaN)
        {
            return "'requests_per_second' must be above 0 and at most 1000000";
        }

        if (request.Burst is < 1 || request.MaxConcurrency is < 1)
        {
            return "'burst' and 'max_concurrency' must be at least 1";
        }

        return null;
    }
}
