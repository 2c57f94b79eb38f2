using System.Text.Json.Nodes;
using AiFactory.Cli;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Cli;

/// <summary>
/// The CLI's registry commands (models push/list/show, traffic set, rollback, audit) against the real AppHost, written
/// to the admin API contract of issue 10 (registry contract, "Admin API"). Each test works on a model of its own, so
/// the sample models' traffic is left as it was.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class CliRegistryEndToEndTests(AppHostFixture fixture)
{
    private static readonly string SampleConfig = Path.Combine(RepositoryPaths.Models, SampleModels.TextDirection, "config.json");

    [Fact]
    public async Task A_rollout_is_pushed_validated_split_and_rolled_back_with_the_cli_and_audited_under_its_key()
    {
        using var admin = fixture.CreateGatewayClient();
        var (keyId, key) = await admin.CreateKeyAsync("cli-rollout", ["admin"]);
        var model = NewModelName();
        using var v1 = Variant("v1");
        using var v2 = Variant("v2");

        var first = await fixture.RunCliWithKeyAsync(key, "models", "push", v1.Path, "--model", model, "--config", SampleConfig, "--timeout", "5m");
        Assert.True(first.ExitCode == ExitCodes.Success, first.ToString());
        Assert.StartsWith($"{model} version 1: ready\n", first.Out);
        Assert.Matches(@"(?m)^  load       ok: CPUExecutionProvider, opset \d+, ", first.Out);
        Assert.Matches(@"(?m)^  latency    batch 1 p50 .* recommended max_batch_size \d+$", first.Out);
        Assert.Contains($"uploaded {Path.GetFileName(v1.Path)}: 565.", first.Error);

        var second = await fixture.RunCliWithKeyAsync(key, "models", "push", v2.Path, "--model", model, "--config", SampleConfig, "--timeout", "5m", "--json");
        Assert.True(second.ExitCode == ExitCodes.Success, second.ToString());
        Assert.Equal((2, "ready"), (second.Json["version"]!.GetValue<int>(), second.Json["state"]!.GetValue<string>()));
        Assert.NotNull(second.Json["validation"]);

        var stable = await fixture.RunCliWithKeyAsync(key, "traffic", "set", model, "1=100", "--reason", "first policy");
        Assert.True(stable.ExitCode == ExitCodes.Success, stable.ToString());
        Assert.Contains("desired   1=100\n", stable.Out);
        var nothingBefore = await fixture.RunCliWithKeyAsync(key, "rollback", model, "--reason", "nothing to return to");
        Assert.True(nothingBefore.ExitCode == ExitCodes.Conflict, nothingBefore.ToString());
        var notReady = await fixture.RunCliWithKeyAsync(key, "traffic", "set", model, "1=50", "3=50", "--reason", "version 3 does not exist");
        Assert.True(notReady.ExitCode == ExitCodes.Refused, notReady.ToString());
        Assert.Contains("(HTTP 400 Bad Request)", notReady.Error);

        var canary = await fixture.RunCliWithKeyAsync(key, "traffic", "set", model, "1=90", "2=10", "--reason", "canary", "--json");
        Assert.True(canary.ExitCode == ExitCodes.Success, canary.ToString());
        Assert.Equal("""{"1":90,"2":10}""", Desired(canary.Json).ToJsonString());

        var listed = await fixture.RunCliWithKeyAsync(key, "models", "list");
        Assert.Matches($@"(?m)^{model}\s+2 ready\s+1=90 2=10\s", listed.Out);
        var shown = await fixture.RunCliWithKeyAsync(key, "models", "show", model, "--json");
        Assert.Equal([(1, "ready"), (2, "ready")], shown.Json["versions"]!.AsArray()
            .Select(version => (version!["version"]!.GetValue<int>(), version["state"]!.GetValue<string>())).OrderBy(version => version.Item1));
        var table = await fixture.RunCliWithKeyAsync(key, "models", "show", model);
        Assert.Contains("desired   1=90 2=10\n", table.Out);
        Assert.Matches(@"(?m)^2\s+ready\s+565\.\d KiB\s+[0-9a-f]{12}\s", table.Out);

        var rolledBack = await fixture.RunCliWithKeyAsync(key, "rollback", model, "--reason", "roll the canary back");
        Assert.True(rolledBack.ExitCode == ExitCodes.Success, rolledBack.ToString());
        Assert.Contains("desired   1=100\n", rolledBack.Out);

        var audit = await fixture.RunCliWithKeyAsync(key, "audit", "--model", model, "--json");
        Assert.True(audit.ExitCode == ExitCodes.Success, audit.ToString());
        var entries = JsonItems(audit.Json, "entries").Where(entry => entry["key_id"]?.GetValue<string>() == keyId)
            .Select(entry => entry["action"]!.GetValue<string>()).ToList();
        // Newest first.
        Assert.Equal(["traffic.rollback", "traffic.set", "traffic.set", "model.version.upload", "model.version.upload"],
            entries.Where(action => action is "traffic.rollback" or "traffic.set" or "model.version.upload"));
        var readable = await fixture.RunCliWithKeyAsync(key, "audit", "--model", model);
        Assert.Matches($@"(?m)^\S+ \S+\s+{keyId}\s+traffic\.rollback\s+{model}\s+.*roll the canary back$", readable.Out);
    }

    [Fact]
    public async Task Pushing_without_waiting_answers_validating_and_the_same_bytes_again_are_exit_5()
    {
        var model = NewModelName();
        using var file = Variant("same");

        var pushed = await fixture.RunCliAsync("models", "push", file.Path, "--model", model, "--no-wait", "--json");
        var again = await fixture.RunCliAsync("models", "push", file.Path, "--model", model, "--no-wait");

        Assert.True(pushed.ExitCode == ExitCodes.Success, pushed.ToString());
        Assert.Equal((1, "validating"), (pushed.Json["version"]!.GetValue<int>(), pushed.Json["state"]!.GetValue<string>()));
        Assert.True(again.ExitCode == ExitCodes.Conflict, again.ToString());
        Assert.Contains("identical to version 1 (HTTP 409 Conflict)", again.Error);
    }

    [Fact]
    public async Task A_file_that_is_not_onnx_is_exit_7_with_the_reason()
    {
        var model = NewModelName();
        using var file = new TemporaryFile("this is not an ONNX model"u8.ToArray(), ".onnx");

        var run = await fixture.RunCliAsync("models", "push", file.Path, "--model", model, "--timeout", "5m");

        Assert.True(run.ExitCode == ExitCodes.ValidationFailed, run.ToString());
        Assert.StartsWith($"{model} version 1: invalid (not an ONNX model", run.Out);
        Assert.Contains($"aifactory: validation failed: {model} version 1 is invalid: not an ONNX model", run.Error);
    }

    [Fact]
    public async Task Registry_refusals_have_their_exit_codes()
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, inferKey) = await admin.CreateKeyAsync("cli-push-infer-only", ["infer"]);
        using var file = Variant("refused");

        var forbidden = await fixture.RunCliWithKeyAsync(inferKey, "models", "push", file.Path, "--model", NewModelName());
        var unknown = await fixture.RunCliAsync("models", "show", NewModelName());
        var badName = await fixture.RunCliAsync("models", "push", file.Path, "--model", "bad/name");

        Assert.Equal((ExitCodes.Unauthorized, "aifactory: the API key does not have the 'admin' scope (HTTP 403 Forbidden)\n"), (forbidden.ExitCode, forbidden.Error));
        Assert.True(unknown.ExitCode == ExitCodes.NotFound, unknown.ToString());
        Assert.True(badName.ExitCode == ExitCodes.Refused, badName.ToString());
        Assert.Contains("(HTTP 400 Bad Request)", badName.Error);
    }

    [Fact]
    public async Task A_large_push_streams_with_the_cli_process_memory_staying_flat()
    {
        // 256 MiB that is not a model: the upload is what is measured (--no-wait), not its validation.
        const long size = 256L * 1024 * 1024;
        const long bound = 128L * 1024 * 1024;
        using var file = new TemporaryFile([], ".onnx");
        await using (var stream = File.OpenWrite(file.Path))
        {
            var block = new byte[1024 * 1024];
            for (var written = 0L; written < size; written += block.Length)
            {
                Random.Shared.NextBytes(block);
                await stream.WriteAsync(block);
            }
        }

        using var tool = fixture.StartCli("models", "push", file.Path, "--model", NewModelName(), "--no-wait", "--json");
        var exited = tool.ExitAsync(TimeSpan.FromMinutes(5));
        long peak = 0;
        while (!exited.IsCompleted)
        {
            try
            {
                tool.Process.Refresh();
                peak = Math.Max(peak, tool.Process.PeakWorkingSet64);
            }
            catch (InvalidOperationException)
            {
                break; // it exited between the check and the read
            }

            await Task.WhenAny(exited, Task.Delay(50));
        }

        var run = await exited;
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal(size, run.Json["size_bytes"]!.GetValue<long>());
        Assert.True(peak is > 0 and < bound, $"the CLI's resident memory peaked at {peak / (1024 * 1024)} MiB sending {size / (1024 * 1024)} MiB (bound {bound / (1024 * 1024)} MiB)");
    }

    private static string NewModelName() => $"cli-{Guid.NewGuid():N}"[..16];

    /// <summary>The text-direction sample as another artifact (same graph, other bytes), in a file.</summary>
    private static TemporaryFile Variant(string note) =>
        new(OnnxModelWriter.WithDocString(File.ReadAllBytes(RepositoryPaths.Model(SampleModels.TextDirection)), $"{note} {Guid.NewGuid()}"), ".onnx");

    private static JsonNode Desired(JsonNode answer) => (answer["desired"] ?? answer["traffic"]!["desired"])!;

    private static IEnumerable<JsonNode> JsonItems(JsonNode answer, string property) =>
        (answer as JsonArray ?? answer[property]!.AsArray()).OfType<JsonNode>();
}
