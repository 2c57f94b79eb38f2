using System.CommandLine;
using System.Text.Json.Nodes;
using AiFactory.Cli.Api;
using AiFactory.Cli.Arguments;
using AiFactory.Cli.Output;

namespace AiFactory.Cli.Commands;

/// <summary><c>aifactory audit [--model] [--key-id] [--action] [--from] [--to] [--limit]</c>: who did what, newest first.</summary>
internal static class AuditCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<string?>("--model") { Description = "Only this model's entries", HelpName = "model" };
        var keyId = new Option<string?>("--key-id") { Description = "Only what this key did ('system': the seeder and automatic rollbacks)", HelpName = "id" };
        var action = new Option<string?>("--action") { Description = "Only this action, e.g. traffic.set, traffic.rollback, model.version.upload", HelpName = "action" };
        var from = new Option<DateTimeOffset?>("--from") { Description = "From this time (ISO 8601, UTC by default)", HelpName = "time", CustomParser = Timestamps.Parse };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Until this time", HelpName = "time", CustomParser = Timestamps.Parse };
        var limit = new Option<int?>("--limit") { Description = "At most this many entries [default: the gateway's]", HelpName = "count" };
        var audit = new Command("audit", "The audit log, newest first: every upload, validation, traffic change, rollback and key change, with the key that made it")
        {
            model, keyId, action, from, to, limit,
        };
        context.SetAction(audit, async (parse, session, cancellationToken) =>
        {
            var path = AdminPaths.WithQuery(AdminPaths.Audit,
                ("model", parse.GetValue(model)), ("key_id", parse.GetValue(keyId)), ("action", parse.GetValue(action)),
                ("from", Timestamps.ToQuery(parse.GetValue(from))), ("to", Timestamps.ToQuery(parse.GetValue(to))),
                ("limit", parse.GetValue(limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return session.Write(await session.Api.GetAsync(path, cancellationToken), Write);
        });
        return audit;
    }

    public static void Write(TextWriter output, JsonNode answer)
    {
        var table = new TextTable("AT", "KEY", "ACTION", "MODEL", "VERSION", "CHANGE", "REASON");
        foreach (var entry in JsonOutput.Items(answer, "entries"))
        {
            table.Add(Format.Time(entry["at"]), Format.Text(entry["key_id"]), Format.Text(entry["action"]), Format.Text(entry["model"]),
                Format.Text(entry["version"]), Change(entry), Format.Text(entry["reason"]));
        }

        table.Write(output);
    }

    /// <summary>Traffic changes read as <c>1=100 → 1=90 2=10</c>; other changes are in <c>--json</c>.</summary>
    private static string Change(JsonNode entry)
    {
        var (before, after) = (Weights(entry["before"]), Weights(entry["after"]));
        return before is null && after is null ? "" : $"{before ?? "-"} -> {after ?? "-"}";
    }

    // A policy as the audit log records it: {"weights": {...}, ...}, or the weights themselves.
    private static string? Weights(JsonNode? state) => state switch
    {
        JsonObject { } policy when policy["weights"] is JsonObject weights => Format.Weights(weights),
        JsonObject { Count: > 0 } weights when weights.All(version => int.TryParse(version.Key, out _)) => Format.Weights(weights),
        _ => null,
    };
}
