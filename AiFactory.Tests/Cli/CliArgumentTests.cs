using System.CommandLine;
using AiFactory.Cli;
using AiFactory.Cli.Api;
using AiFactory.Cli.Arguments;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Cli;

/// <summary>
/// Arguments are judged before anything is sent: bad ones exit 2 naming the problem. The gateway in these runs is a
/// port where nothing listens, so a run that got as far as the network would exit 6 instead.
/// </summary>
public sealed class CliArgumentTests
{
    private static readonly Dictionary<string, string?> Offline = CliRunner.Environment(CliRunner.UnreachableGateway(), "afk_0123456789abcdef_secret");

    [Fact]
    public void Weights_are_version_percent_pairs_in_version_order()
    {
        Assert.True(TrafficWeights.TryParse(["3=10", "2=90", "10=0"], out var weights, out var error), error);

        Assert.Equal([new(2, 90), new(3, 10), new(10, 0)], weights.Percents.ToList());
        Assert.Equal("""{"2":90,"3":10,"10":0}""", weights.ToJson().ToJsonString());
    }

    [Theory]
    [InlineData("2=", "'2=': the percent must be a whole number from 0 to 100")]
    [InlineData("2=90 3=", "'3=': the percent must be a whole number from 0 to 100")]
    [InlineData("=100", "'=100': the version must be a positive integer")]
    [InlineData("0=100", "'0=100': the version must be a positive integer")]
    [InlineData("02=100", "'02=100': the version must be a positive integer")]
    [InlineData("-2=100", "'-2=100': the version must be a positive integer")]
    [InlineData("v2=100", "'v2=100': the version must be a positive integer")]
    [InlineData("2=101", "'2=101': the percent must be a whole number from 0 to 100")]
    [InlineData("2=-10 3=110", "'2=-10': the percent must be a whole number from 0 to 100")]
    [InlineData("2=99.5 3=0.5", "'2=99.5': the percent must be a whole number from 0 to 100")]
    [InlineData("2:100", "'2:100' is not a weight: write <version>=<percent>, e.g. 2=10")]
    [InlineData("2=90 3=20", "the weights sum to 110, not 100")]
    [InlineData("2=90", "the weights sum to 90, not 100")]
    [InlineData("2=50 2=50", "version 2 is given twice")]
    [InlineData("2=50 3=0 2=50", "version 2 is given twice")]
    public async Task Bad_weights_are_a_usage_error_naming_the_weight(string weights, string error)
    {
        Assert.False(TrafficWeights.TryParse(weights.Split(' '), out _, out var message));
        Assert.Equal(error, message);

        var run = await CliRunner.RunAsync(Offline, ["traffic", "set", "text-direction", .. weights.Split(' '), "--reason", "test"]);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith($"aifactory: {error}\n", run.Error);
        Assert.Contains("Run 'aifactory traffic set --help' for usage.", run.Error);
    }

    [Theory]
    [InlineData(new[] { "traffic", "set", "text-direction", "1=100" }, "--reason")]
    [InlineData(new[] { "rollback", "text-direction" }, "--reason")]
    [InlineData(new[] { "models", "push", "/no/such/model.onnx", "--model", "m" }, "/no/such/model.onnx")]
    [InlineData(new[] { "keys", "create", "--name", "x", "--scope", "root" }, "root")]
    [InlineData(new[] { "keys", "create", "--scope", "infer" }, "--name")]
    [InlineData(new[] { "usage", "--from", "yesterday" }, "'yesterday' is not a time")]
    [InlineData(new[] { "keys", "create", "--name", "x", "--scope", "infer", "--rps", "fast" }, "fast")]
    [InlineData(new[] { "models", "lst" }, "lst")]
    [InlineData(new string[0], "Required command was not provided")]
    public async Task Bad_arguments_exit_2_naming_what_is_wrong(string[] args, string named)
    {
        var run = await CliRunner.RunAsync(Offline, args);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains(named, run.Error);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task A_push_needs_the_model_and_a_duration_it_can_read()
    {
        using var model = new TemporaryFile([1, 2, 3]);

        var noModel = await CliRunner.RunAsync(Offline, "models", "push", model.Path);
        var badTimeout = await CliRunner.RunAsync(Offline, "models", "push", model.Path, "--model", "m", "--timeout", "10d");

        Assert.True(noModel.ExitCode == ExitCodes.Usage && noModel.Error.Contains("--model"), noModel.ToString());
        Assert.True(badTimeout.ExitCode == ExitCodes.Usage, badTimeout.ToString());
        Assert.Contains("'10d' is not a duration: write seconds (90 or 90s), minutes (10m) or hours (1h)", badTimeout.Error);
    }

    [Fact]
    public async Task A_config_that_is_not_a_json_object_is_refused_before_the_upload()
    {
        using var model = new TemporaryFile([1, 2, 3]);
        using var config = new TemporaryFile("max_batch_size: 8"u8.ToArray());

        var run = await CliRunner.RunAsync(Offline, "models", "push", model.Path, "--model", "m", "--config", config.Path);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.StartsWith($"aifactory: --config {Path.GetFileName(config.Path)} is not JSON", run.Error);
    }

    [Theory]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    public void Durations_read_seconds_minutes_and_hours(string text, int seconds)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("m")]
    [InlineData("1.5m")]
    [InlineData("10d")]
    public void Durations_refuse_what_they_cannot_read(string text) => Assert.False(Durations.TryParse(text, out _));

    [Theory]
    [InlineData("2026-11-28", "2026-11-28T00:00:00Z")]
    [InlineData("2026-11-28T10:30:00Z", "2026-11-28T10:30:00Z")]
    [InlineData("2026-11-28T10:30:00+02:00", "2026-11-28T08:30:00Z")]
    public void Times_are_utc_unless_they_say_otherwise(string text, string query)
    {
        var root = CliApplication.Create(new CliEnvironment(TextWriter.Null, TextWriter.Null, _ => null, false, TimeProvider.System));
        var parse = root.Parse(["usage", "--from", text]);

        Assert.Empty(parse.Errors);
        Assert.Equal(query, Timestamps.ToQuery(parse.GetValue<DateTimeOffset?>("--from")));
    }

    [Fact]
    public void Names_in_paths_are_escaped_and_dot_segments_refused()
    {
        Assert.Equal("api/admin/models/a%20b%2F..%2Fkeys/versions/2", AdminPaths.Version("a b/../keys", "2"));
        Assert.Equal("api/admin/usage?from=2026-11-28T00%3A00%3A00Z&model=a%26b", AdminPaths.WithQuery(AdminPaths.Usage,
            ("from", "2026-11-28T00:00:00Z"), ("to", null), ("model", "a&b")));
        foreach (var name in new[] { "", ".", ".." })
        {
            var refused = Assert.Throws<CommandFailedException>(() => AdminPaths.Model(name));
            Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        }
    }

    [Fact]
    public void The_gateway_comes_from_the_option_then_the_environment_then_the_default()
    {
        var environment = new Dictionary<string, string?> { ["AIFACTORY_GATEWAY"] = "http://gateway.example:8080", ["AIFACTORY_API_KEY"] = "k" };

        Assert.Equal("http://other.example/aifactory/", Resolve(environment, "--gateway", "http://other.example/aifactory").Gateway.ToString());
        Assert.Equal("http://gateway.example:8080/", Resolve(environment).Gateway.ToString());
        Assert.Equal("http://localhost:5080/", Resolve(new() { ["AIFACTORY_API_KEY"] = "k" }).Gateway.ToString());
    }

    [Theory]
    [InlineData("ftp://gateway.example", "the gateway URL must be an absolute http or https URL, not 'ftp://gateway.example'")]
    [InlineData("gateway.example:5080", "the gateway URL must be an absolute http or https URL, not 'gateway.example:5080'")]
    [InlineData("http://admin:hunter2@gateway.example", "the gateway URL must not carry credentials; give the API key with $AIFACTORY_API_KEY or --key-file")]
    public void A_bad_gateway_url_is_a_usage_error(string url, string error)
    {
        var refused = Assert.Throws<CommandFailedException>(() => Resolve(new() { ["AIFACTORY_API_KEY"] = "k" }, "--gateway", url));

        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Equal(error, refused.Message);
    }

    [Fact]
    public void The_key_comes_from_the_option_or_its_file_before_the_environment()
    {
        using var keyFile = new TemporaryFile("afk_from_the_file\nsecond line is ignored\n"u8.ToArray());
        var environment = new Dictionary<string, string?> { ["AIFACTORY_API_KEY"] = " afk_from_the_environment\n" };

        Assert.Equal("afk_from_the_environment", Resolve(environment).ApiKey);
        Assert.Equal("afk_from_the_option", Resolve(environment, "--key", "afk_from_the_option").ApiKey);
        Assert.Equal("afk_from_the_file", Resolve(environment, "--key-file", keyFile.Path).ApiKey);
        var both = Assert.Throws<CommandFailedException>(() => Resolve(environment, "--key", "a", "--key-file", keyFile.Path));
        Assert.Equal((ExitCodes.Usage, "give the API key with --key or --key-file, not both"), (both.ExitCode, both.Message));
    }

    [Fact]
    public void No_key_is_an_authentication_error_that_says_where_to_put_one()
    {
        var missing = Assert.Throws<CommandFailedException>(() => Resolve([]));

        Assert.Equal(ExitCodes.Unauthorized, missing.ExitCode);
        Assert.Equal("no API key: set $AIFACTORY_API_KEY, or pass --key-file (a key with the admin scope)", missing.Message);
    }

    [Theory]
    [InlineData("afk_abc def")]
    [InlineData("afk_abc\r\nX-Injected: yes")]
    [InlineData("afk_abcé")]
    public async Task Attack_a_key_that_would_inject_a_header_is_refused_without_being_echoed(string key)
    {
        var run = await CliRunner.RunAsync(CliRunner.Environment(CliRunner.UnreachableGateway(), null), "keys", "list", "--key", key);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Equal("aifactory: the API key in --key has characters an API key cannot contain (spaces, line breaks or non-ASCII)\n", run.Error);
        Assert.DoesNotContain("afk_abc", run.Error + run.Out);
    }

    [Theory]
    [InlineData("keys", "list", "afk_0123456789abcdef_pastedsecret")]
    [InlineData("keys", "list", "--kye", "afk_0123456789abcdef_pastedsecret")]
    [InlineData("keys", "list", "my-own-key-pastedsecret")]
    public async Task Attack_a_key_pasted_where_no_argument_belongs_is_not_echoed(params string[] args)
    {
        var environment = CliRunner.Environment(CliRunner.UnreachableGateway(), "my-own-key-pastedsecret");

        var run = await CliRunner.RunAsync(environment, args);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains("Unrecognized command or argument", run.Error);
        Assert.DoesNotContain("pastedsecret", run.Error + run.Out);
    }

    [Fact]
    public void Attack_a_key_file_that_is_not_one_is_read_no_further_than_its_bound()
    {
        // 16 MiB without a line break: a device or a wrong file must not be read whole into memory.
        using var huge = new TemporaryFile(Enumerable.Repeat((byte)'a', 16 * 1024 * 1024).ToArray());

        var refused = Assert.Throws<CommandFailedException>(() => Resolve([], "--key-file", huge.Path));

        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Equal($"the key file {huge.Path} does not start with an API key (no line break in its first 1024 characters)", refused.Message);
    }

    [Fact]
    public void The_connection_never_shows_its_key_as_text()
    {
        var connection = Resolve(new() { ["AIFACTORY_API_KEY"] = "afk_0123456789abcdef_secret" });

        Assert.Equal("http://localhost:5080/", connection.ToString());
    }

    private static GatewayConnection Resolve(Dictionary<string, string?> environment, params string[] args)
    {
        var options = new GlobalOptions();
        var root = new RootCommand();
        options.AddTo(root);
        var parse = root.Parse(args);
        Assert.Empty(parse.Errors);
        return options.Resolve(parse, new CliEnvironment(TextWriter.Null, TextWriter.Null, name => environment.GetValueOrDefault(name), false, TimeProvider.System));
    }
}
