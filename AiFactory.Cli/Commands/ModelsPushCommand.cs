using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Cli.Api;
using AiFactory.Cli.Arguments;
using AiFactory.Cli.Output;
using AiFactory.Cli.Upload;

namespace AiFactory.Cli.Commands;

/// <summary>
/// <c>aifactory models push &lt;file&gt; --model &lt;name&gt; [--labelled-set set.json]</c>: streams the file (and its
/// labelled set) to the registry as the model's next version, then waits until validation says <c>ready</c> (exit 0) or <c>invalid</c> (exit 7).
/// </summary>
internal static class ModelsPushCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public static Command Create(CliContext context)
    {
        var file = new Argument<FileInfo>("file") { Description = "The ONNX model to upload" }.AcceptExistingOnly();
        var model = new Option<string>("--model") { Description = "The model it is a version of (created on its first upload)", Required = true, HelpName = "name" };
        var config = new Option<FileInfo>("--config")
        {
            Description = "The version's config.json (max_batch_size, dynamic_batching, warmup...); it travels in the URL, so keep it small",
            HelpName = "config.json",
        }.AcceptExistingOnly();
        var labelledSet = new Option<FileInfo>("--labelled-set")
        {
            Description = "The version's own labelled set (inputs and expected outputs, docs/optimization.md): its validation report scores it on this version and the one taking traffic",
            HelpName = "set.json",
        }.AcceptExistingOnly();
        var noWait = new Option<bool>("--no-wait") { Description = "Return once uploaded, while the version is still validating" };
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "How long to wait for validation, e.g. 90s, 10m, 1h [default: 10m]; past it the exit code is 6",
            HelpName = "duration",
            CustomParser = Durations.Parse,
            DefaultValueFactory = _ => DefaultTimeout,
        };
        var push = new Command("push", "Upload a model file as a new version, with a progress bar, and wait for its validation")
        {
            file, model, config, labelledSet, noWait, timeout,
        };
        context.SetAction(push, async (parse, session, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(model);
            var configJson = parse.GetValue(config) is { } configFile ? ReadConfig(configFile) : null;
            var uploaded = await UploadAsync(session, parse.GetRequiredValue(file), name, configJson, parse.GetValue(labelledSet), cancellationToken);
            if (parse.GetValue(noWait))
            {
                return session.Write(uploaded, (output, answer) => output.WriteLine(
                    $"{Format.Printable(name)} version {Format.Text(answer["version"])}: {Format.Text(answer["state"])} (sha256 {Format.Text(answer["sha256"])})"));
            }

            var version = Format.Text(uploaded["version"]);
            var limit = parse.GetValue(timeout);
            await session.Status.WriteLineAsync(Format.Printable($"{name} version {version}: validating (waiting up to {limit})"));
            return Outcome(session, name, version, await WaitForValidationAsync(session, name, version, limit, cancellationToken));
        });
        return push;
    }

    private static async Task<JsonNode> UploadAsync(CommandSession session, FileInfo file, string model, string? config, FileInfo? labelledSet,
        CancellationToken cancellationToken)
    {
        await using var content = OpenSequential(file);
        await using var set = labelledSet is null ? null : OpenSequential(labelledSet);
        using var progress = new UploadProgress(session.Status, session.Environment.ErrorIsTerminal, file.Name, content.Length, session.Environment.Time);
        var answer = await session.Api.UploadAsync(AdminPaths.WithQuery(AdminPaths.Versions(model), ("config", config)), content, progress, cancellationToken, set);
        progress.Complete();
        return answer;
    }

    private static FileStream OpenSequential(FileInfo file) =>
        new(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>The config file as compact JSON: it must be a JSON object; the gateway judges its fields.</summary>
    private static string ReadConfig(FileInfo file)
    {
        try
        {
            using var stream = file.OpenRead();
            return JsonNode.Parse(stream) is JsonObject config
                ? config.ToJsonString()
                : throw CommandFailedException.Usage($"--config {file.Name}: a config.json is a JSON object");
        }
        catch (JsonException e)
        {
            throw CommandFailedException.Usage($"--config {file.Name} is not JSON: {e.Message}");
        }
    }

    /// <summary>Polls the version until validation has decided; past <paramref name="limit"/> the exit code is 6.</summary>
    internal static async Task<JsonNode> WaitForValidationAsync(CommandSession session, string model, string version, TimeSpan limit, CancellationToken cancellationToken)
    {
        var time = session.Environment.Time;
        var started = time.GetTimestamp();
        while (true)
        {
            var current = await session.Api.GetAsync(AdminPaths.Version(model, version), cancellationToken);
            if (Format.Text(current["state"]) != "validating")
            {
                return current;
            }

            if (time.GetElapsedTime(started) >= limit)
            {
                throw new CommandFailedException(ExitCodes.Unavailable,
                    $"{model} version {version} is still validating after {limit}; 'aifactory models show {model}' will show the outcome");
            }

            await Task.Delay(PollInterval, time, cancellationToken);
        }
    }

    /// <summary>The outcome of a validation the command waited for: 0 ready, 7 invalid.</summary>
    internal static int Outcome(CommandSession session, string model, string version, JsonNode validated)
    {
        session.Write(validated, ValidationSummary.Write);
        return Format.Text(validated["state"]) switch
        {
            "invalid" => Invalid(session, model, version, validated),
            "ready" => ExitCodes.Success,
            var state => throw new CommandFailedException(ExitCodes.Refused, $"{model} version {version} is {state}, not ready"),
        };
    }

    private static int Invalid(CommandSession session, string model, string version, JsonNode validated)
    {
        session.Status.WriteLine(Format.Printable($"aifactory: validation failed: {model} version {version} is invalid: {Format.Text(validated["state_reason"])}"));
        return ExitCodes.ValidationFailed;
    }
}
