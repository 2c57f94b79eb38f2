using System.CommandLine;
using System.Text.Json.Nodes;
using AiFactory.Cli.Api;
using AiFactory.Cli.Output;

namespace AiFactory.Cli.Commands;

/// <summary><c>aifactory keys create|list|revoke</c>.</summary>
internal static class KeysCommand
{
    public static Command Create(CliContext context) =>
        new("keys", "API keys: create (the key is shown once), list, revoke")
        {
            CreateCommand(context),
            ListCommand(context),
            RevokeCommand(context),
        };

    private static Command CreateCommand(CliContext context)
    {
        var name = new Option<string>("--name") { Description = "Who or what the key is for", Required = true, HelpName = "name" };
        var scopes = new Option<string[]>("--scope")
        {
            Description = "A scope the key has; repeat for several",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            HelpName = "infer|admin",
        }.AcceptOnlyFromAmong("infer", "admin");
        var models = new Option<string[]>("--model") { Description = "A model the key may use; repeat for several [default: every model]", HelpName = "model" };
        var rate = new Option<double?>("--rps") { Description = "Requests per second [default: the gateway's]", HelpName = "rate" };
        var burst = new Option<int?>("--burst") { Description = "Requests allowed at once above the rate [default: the gateway's]", HelpName = "count" };
        var concurrency = new Option<int?>("--max-concurrency") { Description = "Requests in flight per gateway replica [default: the gateway's]", HelpName = "count" };
        var create = new Command("create", "Create a key; its secret is printed this once") { name, scopes, models, rate, burst, concurrency };
        context.SetAction(create, async (parse, session, cancellationToken) =>
        {
            var request = new JsonObject
            {
                ["name"] = parse.GetRequiredValue(name),
                ["scopes"] = new JsonArray([.. parse.GetRequiredValue(scopes).Select(scope => JsonValue.Create(scope))]),
                ["models"] = parse.GetValue(models) is { Length: > 0 } names ? new JsonArray([.. names.Select(model => JsonValue.Create(model))]) : null,
                ["requests_per_second"] = parse.GetValue(rate),
                ["burst"] = parse.GetValue(burst),
                ["max_concurrency"] = parse.GetValue(concurrency),
            };
            return session.Write(await session.Api.SendJsonAsync(HttpMethod.Post, AdminPaths.Keys, request, cancellationToken), WriteCreated);
        });
        return create;
    }

    private static Command ListCommand(CliContext context)
    {
        var all = new Option<bool>("--all") { Description = "Include revoked keys" };
        var list = new Command("list", "The keys (never their secrets)") { all };
        context.SetAction(list, async (parse, session, cancellationToken) =>
        {
            var path = AdminPaths.WithQuery(AdminPaths.Keys, ("include_revoked", parse.GetValue(all) ? "true" : null));
            return session.Write(await session.Api.GetAsync(path, cancellationToken), WriteList);
        });
        return list;
    }

    private static Command RevokeCommand(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The key's id (keys list)" };
        var revoke = new Command("revoke", "Revoke a key: every gateway replica refuses it within a second") { id };
        context.SetAction(revoke, async (parse, session, cancellationToken) =>
            session.Write(await session.Api.DeleteAsync(AdminPaths.Key(parse.GetRequiredValue(id)), cancellationToken),
                (output, key) => output.WriteLine(Format.Printable($"revoked key {Format.Text(key["id"])} ({Format.Text(key["name"])})"))));
        return revoke;
    }

    private static void WriteCreated(TextWriter output, JsonNode created)
    {
        var details = created["details"];
        output.WriteLine(Format.Printable($"created key {Format.Text(details?["id"])} ({Format.Text(details?["name"])}), scopes {Format.List(details?["scopes"])}, models {ModelsOf(details)}"));
        output.WriteLine("The key, shown this once (store it now; the gateway keeps only its hash):");
        output.WriteLine(Format.Printable(Format.Text(created["key"])));
    }

    public static void WriteList(TextWriter output, JsonNode answer)
    {
        var table = new TextTable("ID", "NAME", "SCOPES", "MODELS", "RPS", "BURST", "CONCURRENCY", "CREATED", "REVOKED");
        foreach (var key in JsonOutput.Items(answer, "keys"))
        {
            table.Add(Format.Text(key["id"]), Format.Text(key["name"]), Format.List(key["scopes"]), ModelsOf(key),
                Limit(key["requests_per_second"]), Limit(key["burst"]), Limit(key["max_concurrency"]),
                Format.Time(key["created_at"]), key["revoked_at"] is null ? "-" : Format.Time(key["revoked_at"]));
        }

        table.Write(output);
    }

    private static string ModelsOf(JsonNode? key) => key?["models"] is JsonArray models ? Format.List(models) : "(all)";

    private static string Limit(JsonNode? limit) => limit is null ? "default" : Format.Text(limit);
}
