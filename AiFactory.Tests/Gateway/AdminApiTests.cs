using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway;

/// <summary>The admin API refuses bad input with a message naming the field, and documents itself.</summary>
[Collection(AppHostCollection.Name)]
public sealed class AdminApiTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("""{"scopes": ["infer"]}""", "'name' is required, at most 200 characters")]
    [InlineData("""{"name": "x", "scopes": []}""", "'scopes' must hold one or more of: read, infer, admin")]
    [InlineData("""{"name": "x", "scopes": ["root"]}""", "'scopes' must hold one or more of: read, infer, admin")]
    [InlineData("""{"name": "x", "scopes": ["infer"], "models": []}""", "'models' must be omitted (every model) or list model names")]
    [InlineData("""{"name": "x", "scopes": ["infer"], "requests_per_second": 0}""", "'requests_per_second' must be above 0 and at most 1000000")]
    [InlineData("""{"name": "x", "scopes": ["infer"], "burst": 0}""", "'burst' and 'max_concurrency' must be at least 1")]
    public async Task A_bad_key_request_is_a_400_naming_the_field(string body, string error)
    {
        using var admin = fixture.CreateGatewayClient();
        using var response = await admin.PostAsync("/api/admin/keys", new StringContent(body, System.Text.Encoding.UTF8, "application/json")).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_a_404()
    {
        using var admin = fixture.CreateGatewayClient();
        using var response = await admin.DeleteAsync("/api/admin/keys/0000000000000000").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no API key has the id '0000000000000000'", OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task Usage_with_an_empty_range_is_a_400()
    {
        using var admin = fixture.CreateGatewayClient();
        using var response = await admin.GetAsync("/api/admin/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("'from' must be before 'to'", OipRequests.ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_admin_api_and_the_reference_page_serves()
    {
        // The AppHost runs the gateway in Development, where both are mapped.
        using var anonymous = fixture.CreateHttpClient("gateway");
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json").WaitAsync(Timeout))!;
        var paths = document["paths"]!.AsObject().Select(path => path.Key).ToList();

        Assert.Contains("/api/admin/keys", paths);
        Assert.Contains("/api/admin/keys/{id}", paths);
        Assert.Contains("/api/admin/usage", paths);
        using var page = await anonymous.GetAsync("/scalar/v1").WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_registry_endpoints_with_their_request_and_response_shapes()
    {
        using var anonymous = fixture.CreateHttpClient("gateway");
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json").WaitAsync(Timeout))!;
        var paths = document["paths"]!;

        var upload = paths["/api/admin/models/{model}/versions"]!["post"]!;
        Assert.Equal(["application/octet-stream", "multipart/form-data"], upload["requestBody"]!["content"]!.AsObject().Select(type => type.Key).Order());
        Assert.Superset(new HashSet<string> { "201", "400", "409", "413", "415", "503" }, upload["responses"]!.AsObject().Select(status => status.Key).ToHashSet());
        Assert.Superset(new HashSet<string> { "model", "version", "sha256", "size_bytes", "state" },
            Properties(document, upload["responses"]!["201"]!["content"]!["application/json"]!["schema"]!));

        var model = paths["/api/admin/models/{model}"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
        Assert.Superset(new HashSet<string> { "name", "versions", "traffic", "replicas" }, Properties(document, model));
        Assert.Superset(new HashSet<string> { "desired", "observed", "policy_id", "reason", "updated_at", "updated_by" },
            Properties(document, Resolve(document, model)["properties"]!["traffic"]!));
        Assert.Superset(new HashSet<string> { "version", "state", "state_reason", "sha256", "size_bytes", "signature", "lineage", "validation", "created_by" },
            Properties(document, paths["/api/admin/models/{model}/versions/{version}"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!));
        Assert.NotNull(paths["/api/admin/models"]!["get"]);

        var traffic = paths["/api/admin/models/{model}/traffic"]!["put"]!;
        Assert.Superset(new HashSet<string> { "weights", "reason", "force" }, Properties(document, traffic["requestBody"]!["content"]!["application/json"]!["schema"]!));
        Assert.Superset(new HashSet<string> { "200", "400", "404", "409" }, traffic["responses"]!.AsObject().Select(status => status.Key).ToHashSet());
        Assert.Superset(new HashSet<string> { "reason" },
            Properties(document, paths["/api/admin/models/{model}/rollback"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!));

        var audit = paths["/api/admin/audit"]!["get"]!;
        Assert.Superset(new HashSet<string> { "model", "key_id", "action", "from", "to", "limit" },
            audit["parameters"]!.AsArray().Select(parameter => parameter!["name"]!.GetValue<string>()).ToHashSet());
        Assert.Superset(new HashSet<string> { "at", "key_id", "action", "model", "version", "before", "after", "reason" },
            Properties(document, Resolve(document, audit["responses"]!["200"]!["content"]!["application/json"]!["schema"]!)["items"]!));
    }

    private static HashSet<string> Properties(JsonNode document, JsonNode schema) =>
        Resolve(document, schema)["properties"]!.AsObject().Select(property => property.Key).ToHashSet();

    // A schema, or the component its $ref names.
    private static JsonNode Resolve(JsonNode document, JsonNode schema) =>
        schema["$ref"] is { } reference ? document["components"]!["schemas"]![reference.GetValue<string>().Split('/')[^1]]! : schema;
}
