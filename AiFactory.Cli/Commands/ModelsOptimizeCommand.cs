using System.CommandLine;
using System.Text.Json.Nodes;
using AiFactory.Cli.Api;
using AiFactory.Cli.Arguments;
using AiFactory.Cli.Output;

namespace AiFactory.Cli.Commands;

/// <summary>
/// <c>aifactory models optimize &lt;model&gt; &lt;version&gt; --transform &lt;name&gt; [options]</c>: asks the registry for a
/// new version made from a ready one, then, as <c>push</c> does, waits until validation says <c>ready</c> (exit 0)
/// or <c>invalid</c> (exit 7). The gateway judges the transform and its options.
/// </summary>
internal static class ModelsOptimizeCommand
{
    /// <summary>How long the gateway may take to answer: the replica runs the transform before the version exists.</summary>
    private static readonly TimeSpan TransformTimeout = TimeSpan.FromMinutes(30);

    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var version = new Argument<string>("version") { Description = "The ready version to optimize" };
        var transform = new Option<string>("--transform")
        {
            Description = "graph, fp16, int8-dynamic, int8-static, or tensorrt (a serving configuration on the same bytes)",
            Required = true,
            HelpName = "name",
        };
        var level = new Option<string>("--level") { Description = "graph: basic (any provider, the default), extended or all (CPU)", HelpName = "level" };
        var calibration = new Option<string>("--calibration") { Description = "int8-static: minmax (the default) or percentile", HelpName = "method" };
        var percentile = new Option<double?>("--percentile") { Description = "int8-static with percentile: the share of values kept, in (90, 100]", HelpName = "N" };
        var keepFp32 = new Option<string>("--keep-fp32") { Description = "fp16: operator types to keep in FP32, e.g. Softmax,Resize", HelpName = "Op,Op" };
        var precision = new Option<string>("--precision") { Description = "tensorrt: fp16 (the default) or int8", HelpName = "fp16|int8" };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the version exists, while it is still validating" };
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "How long to wait for validation, e.g. 90s, 10m, 1h [default: 10m]; past it the exit code is 6",
            HelpName = "duration",
            CustomParser = Durations.Parse,
            DefaultValueFactory = _ => ModelsPushCommand.DefaultTimeout,
        };
        var optimize = new Command("optimize", "Make a new version from a ready one with a transform, and wait for its validation")
        {
            model, version, transform, level, calibration, percentile, keepFp32, precision, noWait, timeout,
        };
        context.SetAction(optimize, async (parse, session, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(model);
            var body = new JsonObject
            {
                ["transform"] = parse.GetRequiredValue(transform),
                ["level"] = parse.GetValue(level),
                ["calibration"] = parse.GetValue(calibration),
                ["percentile"] = parse.GetValue(percentile),
                ["keep_fp32"] = parse.GetValue(keepFp32) is { } operators
                    ? new JsonArray([.. operators.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(op => JsonValue.Create(op))])
                    : null,
                ["precision"] = parse.GetValue(precision),
            };
            // Only the options given: the gateway refuses an option that belongs to another transform.
            foreach (var unset in body.Where(field => field.Value is null).Select(field => field.Key).ToList())
            {
                body.Remove(unset);
            }

            var created = await session.Api.SendJsonAsync(HttpMethod.Post, AdminPaths.Optimize(name, parse.GetRequiredValue(version)), body, cancellationToken,
                TransformTimeout);
            var number = Format.Text(created["version"]);
            var made = Format.Printable($"{name} version {number} ← {ModelsCommand.Lineage(created["lineage"])}");
            if (parse.GetValue(noWait))
            {
                return session.Write(created, (output, _) => output.WriteLine($"{made}: {Format.Text(created["state"])}"));
            }

            var limit = parse.GetValue(timeout);
            await session.Status.WriteLineAsync($"{made}: validating (waiting up to {limit})");
            return ModelsPushCommand.Outcome(session, name, number,
                await ModelsPushCommand.WaitForValidationAsync(session, name, number, limit, cancellationToken));
        });
        return optimize;
    }
}
