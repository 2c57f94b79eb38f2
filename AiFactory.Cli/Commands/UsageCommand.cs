using System.CommandLine;
using System.Text.Json.Nodes;
using AiFactory.Cli.Api;
using AiFactory.Cli.Arguments;
using AiFactory.Cli.Output;

namespace AiFactory.Cli.Commands;

/// <summary><c>aifactory usage [--from] [--to] [--key-id] [--model]</c>: requests by key, model, version and status.</summary>
internal static class UsageCommand
{
    public static Command Create(CliContext context)
    {
        var from = new Option<DateTimeOffset?>("--from") { Description = "Start of the range (ISO 8601, UTC by default) [default: a day before --to]", HelpName = "time", CustomParser = Timestamps.Parse };
        var to = new Option<DateTimeOffset?>("--to") { Description = "End of the range, exclusive [default: now]", HelpName = "time", CustomParser = Timestamps.Parse };
        var keyId = new Option<string?>("--key-id") { Description = "Only this key's requests", HelpName = "id" };
        var model = new Option<string?>("--model") { Description = "Only this model's requests", HelpName = "model" };
        var usage = new Command("usage", "Requests by key, model, version and status (written every few seconds)") { from, to, keyId, model };
        context.SetAction(usage, async (parse, session, cancellationToken) =>
        {
            var path = AdminPaths.WithQuery(AdminPaths.Usage,
                ("from", Timestamps.ToQuery(parse.GetValue(from))), ("to", Timestamps.ToQuery(parse.GetValue(to))),
                ("key_id", parse.GetValue(keyId)), ("model", parse.GetValue(model)));
            return session.Write(await session.Api.GetAsync(path, cancellationToken), Write);
        });
        return usage;
    }

    public static void Write(TextWriter output, JsonNode report)
    {
        var table = new TextTable("KEY", "MODEL", "VERSION", "STATUS", "REQUESTS");
        foreach (var row in JsonOutput.Items(report, "rows"))
        {
            table.Add(Format.Text(row["key_id"]), Format.Text(row["model"]), Format.Text(row["version"]), Format.Text(row["status"]), Format.Text(row["requests"]));
        }

        table.Write(output);
        output.WriteLine($"{Format.Text(report["total_requests"])} requests from {Format.Time(report["from"])} to {Format.Time(report["to"])}");
    }
}
