using System.Net;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Gateway.HostileInput;

/// <summary>
/// Attacks on the repository operations through the gateway: a key without the admin scope trying spellings of the
/// unload path that routing might not recognise, and model names made to slip through to a replica.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ModelControlAttackTests(AppHostFixture fixture) : IAsyncLifetime
{
    private const string Model = "attack-target";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => fixture.AddModelAsync(Model, Timeout);

    private const string NoAdminScope = "the API key does not have the 'admin' scope";

    /// <summary>
    /// Spellings of the unload path, sent exactly as written. Those that routing reads as the repository path are
    /// refused for the scope; those it does not (an empty segment) reach no replica: the gateway's one parse of the
    /// protocol's paths refuses them with 404. Kestrel refuses a NUL before any routing.
    /// </summary>
    public static TheoryData<string, HttpStatusCode, string> UnloadSpellings => new()
    {
        { $"/v2/repository/models/{Model}/unload", HttpStatusCode.Forbidden, NoAdminScope },
        { $"/V2/Repository/MODELS/{Model}/UNLOAD", HttpStatusCode.Forbidden, NoAdminScope },
        { $"/v2/repository/models/{Model}/unload/", HttpStatusCode.Forbidden, NoAdminScope },
        { $"/v2/repository/models/{Model}/%75nload", HttpStatusCode.Forbidden, NoAdminScope },
        { $"/v2/repository/models/{Model}//unload", HttpStatusCode.Forbidden, NoAdminScope },
        { $"/v2/repository/models//{Model}/unload", HttpStatusCode.Forbidden, NoAdminScope },
        { $"/v2/repository/./models/{Model}/unload", HttpStatusCode.Forbidden, NoAdminScope },
        { $"/v2/other/../repository/models/{Model}/unload", HttpStatusCode.Forbidden, NoAdminScope },
        { $"/v2/repository/models/{Model}/unload?x=/../../models", HttpStatusCode.Forbidden, NoAdminScope },
        { $"/v2//repository/models/{Model}/unload", HttpStatusCode.NotFound, $"unknown path '/v2//repository/models/{Model}/unload'" },
        { $"/v2/repository//models/{Model}/unload", HttpStatusCode.NotFound, $"unknown path '/v2/repository//models/{Model}/unload'" },
        { $"/v2/repository/models/{Model}%00/unload", HttpStatusCode.BadRequest, "" },
    };

    [Theory]
    [MemberData(nameof(UnloadSpellings))]
    public async Task Attack_an_infer_key_cannot_unload_through_any_spelling_of_the_path(string path, HttpStatusCode status, string message)
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync("control-attack", ["infer"]);
        using var attacker = fixture.CreateGatewayClient(key);

        using var response = await attacker.SendAsync(Raw(attacker, path)).WaitAsync(Timeout);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal(message, message.Length == 0 ? body : OipRequests.ErrorOf(body).GetString());
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], await fixture.ModelReadinessAsync(Model, CancellationToken.None).WaitAsync(Timeout));
    }

    private const string NameRule = "letters, digits, '-', '_' and '.', not starting with '.'";

    /// <summary>Names the replicas would refuse or read differently never reach them: the gateway refuses them first.</summary>
    public static TheoryData<string, string> HostileNames => new()
    {
        { new string('m', 200), "the model name has 200 characters, more than 128" },
        { ".hidden", $"'.hidden' is not a model name: {NameRule}" },
        { "a%20b", $"'a b' is not a model name: {NameRule}" },
        { "a%2Fb", $"'a%2Fb' is not a model name: {NameRule}" },
        { "a%5Cb", $"'a\\b' is not a model name: {NameRule}" },
        { "%EF%AC%80", $"'\uFB00' is not a model name: {NameRule}" },
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task Attack_a_hostile_model_name_is_refused_before_any_replica_is_told(string name, string message)
    {
        using var admin = fixture.CreateGatewayClient();

        using var response = await admin.SendAsync(Raw(admin, $"/v2/repository/models/{name}/unload")).WaitAsync(Timeout);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {body}");
        Assert.Equal(message, OipRequests.ErrorOf(body).GetString());
    }

    /// <summary>A POST to <paramref name="path"/> exactly as written: no dot segments removed, no escapes undone.</summary>
    private static HttpRequestMessage Raw(HttpClient client, string path) =>
        new(HttpMethod.Post, new Uri(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + path,
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));

    public Task DisposeAsync() => fixture.RemoveModelAsync(Model, Timeout);
}
