using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Gateway.HostileInput;

/// <summary>
/// A key limited to one model tries to reach another, or to plant a name the gateway cannot store, by writing the
/// model's path in every way the protocol does not: case, encodings, separators, dot segments, lengths, versions.
/// Each gets the gateway's own refusal, before the allow-list, metering, the cache or a replica sees it; the
/// protocol's own paths keep working.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ModelNamingAttackTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const string Allowed = SampleModels.TextDirection;
    private const string Forbidden = SampleModels.TextDetection;
    private const string NameRule = $": a model name is 1 to 128 ASCII letters, digits, '-', '_' or '.', not starting with '.'";
    private const string VersionRule = ": a version is a positive integer, without sign or leading zeros";

    public static TheoryData<string, string, string, int, string> Attacks => new()
    {
        // The review's reproduction: 403 on /v2/models/text-detection, 200 on /V2/models/text-detection/infer.
        { "upper-case prefix reaches a forbidden model", "POST", $"/V2/models/{Forbidden}/infer", 404, $"unknown path '/V2/models/{Forbidden}/infer'" },
        { "upper-case segment reaches a forbidden model", "GET", $"/v2/Models/{Forbidden}", 404, $"unknown path '/v2/Models/{Forbidden}'" },
        { "case-changed allowed name is another model", "GET", "/v2/models/Text-Direction", 403, "the API key may not use model 'Text-Direction'" },
        { "doubly encoded NUL", "GET", "/v2/models/a%2500b", 400, $"invalid model name 'a%00b'{NameRule}" },
        { "encoded slash climbs to a forbidden model", "POST", $"/v2/models/{Allowed}%2F..%2F{Forbidden}/infer", 400, $"invalid model name '{Allowed}%2F..%2F{Forbidden}'{NameRule}" },
        { "doubly encoded slash", "GET", $"/v2/models/{Allowed}%252F..%252F{Forbidden}", 400, $"invalid model name '{Allowed}%2F..%2F{Forbidden}'{NameRule}" },
        { "dot segments leave the model's path", "GET", $"/v2/models/../infer", 404, "unknown path '/v2/infer'" },
        { "hidden name", "GET", "/v2/models/.hidden", 400, $"invalid model name '.hidden'{NameRule}" },
        { "name one character too long", "GET", $"/v2/models/{new string('a', 129)}", 400, $"invalid model name '{new string('a', 64)}...' (129 characters){NameRule}" },
        // The message quotes 64 characters at most; cutting there must not split the emoji's surrogate pair.
        { "non-ASCII name cut in a character", "GET", $"/v2/models/{new string('a', 63)}%F0%9F%98%80{new string('b', 40)}", 400, $"invalid model name '{new string('a', 63)}...' (105 characters){NameRule}" },
        { "4 KB name", "GET", $"/v2/models/{new string('a', 4096)}/ready", 400, $"invalid model name '{new string('a', 64)}...' (4096 characters){NameRule}" },
        { "version with a leading zero", "POST", $"/v2/models/{Allowed}/versions/01/infer", 400, $"invalid model version '01'{VersionRule}" },
        { "negative version", "GET", $"/v2/models/{Allowed}/versions/-1", 400, $"invalid model version '-1'{VersionRule}" },
        { "decimal version", "GET", $"/v2/models/{Allowed}/versions/1.0/ready", 400, $"invalid model version '1.0'{VersionRule}" },
        { "empty segment smuggles repository control past the admin scope", "POST", "/v2//repository/models/no-such-model/unload", 404, "unknown path '/v2//repository/models/no-such-model/unload'" },
        { "unknown action", "POST", $"/v2/models/{Allowed}/explain", 404, $"unknown path '/v2/models/{Allowed}/explain'" },
        { "trailing slash", "GET", $"/v2/models/{Allowed}/", 404, $"unknown path '/v2/models/{Allowed}/'" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task A_model_path_outside_the_protocol_is_refused_with_a_message_naming_the_problem(string attack, string method, string path, int status, string error)
    {
        using var client = fixture.CreateGatewayClient(await RestrictedKeyAsync());
        using var request = RawRequests.Path(client, new HttpMethod(method), path, method == "POST" ? Json(SampleModels.TextDirectionInput, [1, 3, 48, 192], new float[3 * 48 * 192]) : null);

        using var response = await client.SendAsync(request).WaitAsync(Timeout);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{attack}: {(int)response.StatusCode} {body}");
        Assert.Equal(error, ErrorOf(body).GetString());
    }

    [Fact]
    public async Task An_encoded_NUL_in_the_path_is_refused_by_the_server_before_the_gateway_reads_it()
    {
        using var client = fixture.CreateGatewayClient(await RestrictedKeyAsync());
        using var request = RawRequests.Path(client, HttpMethod.Get, $"/v2/models/{Allowed}%00");

        using var response = await client.SendAsync(request).WaitAsync(Timeout);

        // Kestrel refuses a request target that decodes to a NUL itself, with an empty 400.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_anonymous_health_path_in_another_case_is_refused()
    {
        using var client = fixture.CreateHttpClient("gateway"); // no key: the health paths are anonymous
        using var request = RawRequests.Path(client, HttpMethod.Get, "/V2/HEALTH/live");

        using var response = await client.SendAsync(request).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("unknown path '/V2/HEALTH/live'", ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task A_doubly_encoded_NUL_in_a_model_name_is_refused_and_the_gateway_keeps_writing_usage()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("naming-usage", ["infer"]);
        using var client = fixture.CreateGatewayClient(key);

        using (var poison = RawRequests.Path(client, HttpMethod.Get, "/v2/models/a%2500b"))
        {
            using var refused = await client.SendAsync(poison).WaitAsync(Timeout);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using (var legitimate = await client.GetAsync($"/v2/models/{Allowed}/versions/1").WaitAsync(Timeout))
        {
            Assert.Equal(HttpStatusCode.OK, legitimate.StatusCode);
        }

        // Both reach PostgreSQL with the next flushes (every 5 s): the refused one under the bucket for invalid names.
        var expected = new[] { ("(invalid)", "", 400, 1L), (Allowed, "1", 200, 1L) };
        var written = await UsageOfAsync(admin, id);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !written.SequenceEqual(expected) && DateTime.UtcNow < deadline; written = await UsageOfAsync(admin, id))
        {
            await Task.Delay(500);
        }

        Assert.Equal(expected, written);
    }

    public static TheoryData<string, string> Legitimate => new()
    {
        { "the protocol's path", $"/v2/models/{Allowed}/infer" },
        { "a version", $"/v2/models/{Allowed}/versions/1/infer" },
        // Decoded once by the server, this is the canonical name: checked, metered and forwarded as such.
        { "percent-encoded letters of the allowed name", "/v2/models/text%2Ddirection/infer" },
    };

    [Theory]
    [MemberData(nameof(Legitimate))]
    public async Task A_restricted_key_still_infers_with_its_model(string what, string path)
    {
        using var client = fixture.CreateGatewayClient(await RestrictedKeyAsync());
        using var request = RawRequests.Path(client, HttpMethod.Post, path,
            Json(SampleModels.TextDirectionInput, [1, 3, 48, 192], SampleModels.RandomImage(3, 1, 3, 48, 192)));

        using var response = await client.SendAsync(request).WaitAsync(Timeout);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{what}: {(int)response.StatusCode} {body}");
        Assert.Equal(Allowed, JsonNode.Parse(body)!["model_name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_key_without_an_allow_list_still_uses_every_model()
    {
        using var admin = fixture.CreateGatewayClient();
        using var client = fixture.CreateGatewayClient((await admin.CreateKeyAsync("naming-unrestricted", ["infer"])).Key);

        foreach (var model in new[] { Allowed, Forbidden })
        {
            using var response = await client.GetAsync($"/v2/models/{model}").WaitAsync(Timeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(model, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["name"]!.GetValue<string>());
        }
    }

    private async Task<string> RestrictedKeyAsync()
    {
        using var admin = fixture.CreateGatewayClient();
        return (await admin.CreateKeyAsync("naming-restricted", ["infer"], models: [Allowed])).Key;
    }

    private static async Task<(string Model, string Version, int Status, long Requests)[]> UsageOfAsync(HttpClient admin, string keyId) =>
        [.. JsonNode.Parse(await admin.GetStringAsync($"/api/admin/usage?key_id={keyId}").WaitAsync(Timeout))!["rows"]!.AsArray()
            .Select(row => (row!["model"]!.GetValue<string>(), row["version"]!.GetValue<string>(), row["status"]!.GetValue<int>(), row["requests"]!.GetValue<long>()))];
}
