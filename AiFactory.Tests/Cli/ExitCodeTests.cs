using System.Net;
using AiFactory.Cli;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Cli;

/// <summary>The exit codes scripts rely on: what each answer maps to, and that --help and the README say so.</summary>
public sealed class ExitCodeTests
{
    [Theory]
    [InlineData(HttpStatusCode.BadRequest, ExitCodes.Refused)]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, ExitCodes.Refused)]
    [InlineData(HttpStatusCode.TooManyRequests, ExitCodes.Refused)]
    [InlineData(HttpStatusCode.Unauthorized, ExitCodes.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden, ExitCodes.Unauthorized)]
    [InlineData(HttpStatusCode.NotFound, ExitCodes.NotFound)]
    [InlineData(HttpStatusCode.Conflict, ExitCodes.Conflict)]
    [InlineData(HttpStatusCode.InternalServerError, ExitCodes.Unavailable)]
    [InlineData(HttpStatusCode.BadGateway, ExitCodes.Unavailable)]
    [InlineData(HttpStatusCode.ServiceUnavailable, ExitCodes.Unavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout, ExitCodes.Unavailable)]
    public void Each_refusal_has_its_exit_code(HttpStatusCode status, int exitCode) => Assert.Equal(exitCode, ExitCodes.ForStatus(status));

    [Fact]
    public void The_codes_are_the_documented_numbers()
    {
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], new[]
        {
            ExitCodes.Success, ExitCodes.Refused, ExitCodes.Usage, ExitCodes.Unauthorized, ExitCodes.NotFound,
            ExitCodes.Conflict, ExitCodes.Unavailable, ExitCodes.ValidationFailed,
        });
    }

    [Fact]
    public async Task Help_lists_every_exit_code_and_the_environment_variables()
    {
        var run = await CliRunner.RunAsync(new Dictionary<string, string?>(), "--help");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        foreach (var line in HelpLines())
        {
            Assert.Contains(line, run.Out);
        }

        Assert.Contains("$AIFACTORY_GATEWAY", run.Out);
        Assert.Contains("$AIFACTORY_API_KEY", run.Out);
    }

    [Fact]
    public void The_readme_lists_the_same_exit_codes_as_help()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));

        foreach (var line in HelpLines())
        {
            Assert.Contains(line, readme);
        }
    }

    [Fact]
    public async Task A_gateway_that_refuses_connections_is_exit_6_naming_it()
    {
        var gateway = CliRunner.UnreachableGateway();

        var run = await CliRunner.RunAsync(CliRunner.Environment(gateway, "afk_0123456789abcdef_secret"), "keys", "list");

        Assert.True(run.ExitCode == ExitCodes.Unavailable, run.ToString());
        Assert.StartsWith($"aifactory: cannot reach the gateway at {gateway}: ", run.Error);
        Assert.DoesNotContain("secret", run.Error);
    }

    private static IEnumerable<string> HelpLines() =>
        ExitCodes.Help.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0 && char.IsAsciiDigit(line[0]));
}
