using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Cli;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Cli;

/// <summary>
/// The CLI's key and usage commands against the real AppHost's gateway: the CLI's entry point in-process with a real
/// HttpClient, and once the built tool as its own process.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class CliEndToEndTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Keys_are_created_listed_and_revoked_with_the_cli()
    {
        var name = $"cli-{Guid.NewGuid():N}"[..16];

        var created = await fixture.RunCliAsync("keys", "create", "--name", name, "--scope", "infer", "--model", SampleModels.TextDirection, "--rps", "5", "--burst", "10");

        Assert.True(created.ExitCode == ExitCodes.Success, created.ToString());
        var lines = created.Out.Split('\n');
        var id = Assert.Single(System.Text.RegularExpressions.Regex.Matches(lines[0], "^created key ([0-9a-f]{16}) ")).Groups[1].Value;
        Assert.Equal($"created key {id} ({name}), scopes infer, models text-direction", lines[0]);
        Assert.Equal("The key, shown this once (store it now; the gateway keeps only its hash):", lines[1]);
        var key = lines[2];
        using (var client = fixture.CreateGatewayClient(key))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v2/models/{SampleModels.TextDirection}/versions/1").WaitAsync(Timeout)).StatusCode);
        }

        var listed = await fixture.RunCliAsync("keys", "list");
        Assert.True(listed.ExitCode == ExitCodes.Success, listed.ToString());
        Assert.StartsWith("ID                NAME", listed.Out);
        Assert.Matches($@"(?m)^{id}  {name}\s+infer\s+text-direction\s+5\s+10\s+default\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+-$", listed.Out);
        Assert.DoesNotContain(key, listed.Out);

        var revoked = await fixture.RunCliAsync("keys", "revoke", id);
        Assert.True(revoked.ExitCode == ExitCodes.Success, revoked.ToString());
        Assert.Equal($"revoked key {id} ({name})\n", revoked.Out);
        using (var client = fixture.CreateGatewayClient(key))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/v2/models/{SampleModels.TextDirection}/versions/1").WaitAsync(Timeout)).StatusCode);
        }

        var active = await fixture.RunCliAsync("keys", "list", "--json");
        Assert.DoesNotContain(id, active.Json.AsArray().Select(entry => entry!["id"]!.GetValue<string>()));
        var all = await fixture.RunCliAsync("keys", "list", "--all", "--json");
        var entry = Assert.Single(all.Json.AsArray(), entry => entry!["id"]!.GetValue<string>() == id)!;
        Assert.NotNull(entry["revoked_at"]);
    }

    [Fact]
    public async Task Usage_reports_a_keys_requests_by_model_version_and_status()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("cli-usage", ["infer"]);
        using (var client = fixture.CreateGatewayClient(key))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v2/models/{SampleModels.TextDirection}/versions/1").WaitAsync(Timeout)).StatusCode);
            }
        }

        // Usage is written every few seconds (Gateway:Usage:FlushInterval).
        var deadline = Stopwatch.StartNew();
        CliResult report;
        while (true)
        {
            report = await fixture.RunCliAsync("usage", "--key-id", id, "--json");
            Assert.True(report.ExitCode == ExitCodes.Success, report.ToString());
            if (report.Json["total_requests"]!.GetValue<long>() >= 3 || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var row = Assert.Single(report.Json["rows"]!.AsArray())!;
        Assert.Equal((id, SampleModels.TextDirection, "1", 200, 3L),
            (row["key_id"]!.GetValue<string>(), row["model"]!.GetValue<string>(), row["version"]!.GetValue<string>(), row["status"]!.GetValue<int>(), row["requests"]!.GetValue<long>()));

        var table = await fixture.RunCliAsync("usage", "--key-id", id, "--model", SampleModels.TextDirection, "--from", DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        Assert.True(table.ExitCode == ExitCodes.Success, table.ToString());
        Assert.Matches($@"(?m)^{id}\s+text-direction\s+1\s+200\s+3$", table.Out);
        Assert.Matches(@"(?m)^3 requests from \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ to ", table.Out);
    }

    [Fact]
    public async Task Refusals_print_the_servers_message_and_exit_with_their_code()
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, inferKey) = await admin.CreateKeyAsync("cli-infer-only", ["infer"]);

        var forbidden = await fixture.RunCliWithKeyAsync(inferKey, "keys", "list");
        var notFound = await fixture.RunCliAsync("keys", "revoke", "0000000000000000");
        var badRange = await fixture.RunCliAsync("usage", "--from", "2026-01-02", "--to", "2026-01-01");

        Assert.Equal((ExitCodes.Unauthorized, "aifactory: the API key does not have the 'admin' scope (HTTP 403 Forbidden)\n"), (forbidden.ExitCode, forbidden.Error));
        Assert.Equal((ExitCodes.NotFound, "aifactory: no API key has the id '0000000000000000' (HTTP 404 Not Found)\n"), (notFound.ExitCode, notFound.Error));
        Assert.Equal((ExitCodes.Refused, "aifactory: 'from' must be before 'to' (HTTP 400 Bad Request)\n"), (badRange.ExitCode, badRange.Error));
        Assert.All(new[] { forbidden, notFound, badRange }, run => Assert.Equal("", run.Out));
    }

    [Fact]
    public async Task Attack_a_wrong_key_is_exit_3_and_is_never_echoed()
    {
        var wrongKey = $"afk_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}_notthesecretnotthesecretnotthesecret12345";

        var run = await fixture.RunCliWithKeyAsync(wrongKey, "keys", "list");

        Assert.True(run.ExitCode == ExitCodes.Unauthorized, run.ToString());
        Assert.StartsWith("aifactory: the API key is not valid", run.Error);
        Assert.DoesNotContain("notthesecret", run.Error + run.Out);
    }

    [Fact]
    public async Task The_built_tool_reads_the_gateway_and_key_from_the_environment_and_exits_with_the_codes_scripts_see()
    {
        var listed = await RunToolAsync("keys", "list", "--json");
        var missing = await RunToolAsync("keys", "revoke", "0000000000000000");

        Assert.True(listed.ExitCode == ExitCodes.Success, listed.ToString());
        Assert.IsType<JsonArray>(listed.Json);
        Assert.True(missing.ExitCode == ExitCodes.NotFound, missing.ToString());
        Assert.DoesNotContain(fixture.AdminKey, listed.Out + listed.Error + missing.Out + missing.Error);
    }

    private async Task<CliResult> RunToolAsync(params string[] args)
    {
        using var tool = fixture.StartCli(args);
        return await tool.ExitAsync(TimeSpan.FromMinutes(2));
    }
}
