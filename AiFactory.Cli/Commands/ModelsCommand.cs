using System.CommandLine;
using System.Text.Json.Nodes;
using AiFactory.Cli.Api;
using AiFactory.Cli.Output;

namespace AiFactory.Cli.Commands;

/// <summary><c>aifactory models push|analyze|list|show</c>.</summary>
internal static class ModelsCommand
{
    public static Command Create(CliContext context)
    {
        var list = new Command("list", "The registry's models: versions by state, desired and observed traffic");
        context.SetAction(list, async (_, session, cancellationToken) =>
            session.Write(await session.Api.GetAsync(AdminPaths.Models, cancellationToken), WriteList));

        var model = new Argument<string>("model") { Description = "The model's name" };
        var show = new Command("show", "One model: its versions with their validation, its traffic, each replica's state") { model };
        context.SetAction(show, async (parse, session, cancellationToken) =>
            session.Write(await session.Api.GetAsync(AdminPaths.Model(parse.GetRequiredValue(model)), cancellationToken), WriteModel));

        return new Command("models", "Upload model versions and see what the registry holds")
        {
            ModelsPushCommand.Create(context),
            ModelsOptimizeCommand.Create(context),
            ModelsAnalyzeCommand.Create(context),
            list,
            show,
        };
    }

    public static void WriteList(TextWriter output, JsonNode answer)
    {
        var table = new TextTable("MODEL", "VERSIONS", "DESIRED", "OBSERVED");
        foreach (var model in JsonOutput.Items(answer, "models"))
        {
            table.Add(Format.Text(model["name"]), VersionStates(model["versions"]),
                Format.Weights(model["traffic"]?["desired"]), Format.Weights(model["traffic"]?["observed"]));
        }

        table.Write(output);
    }

    public static void WriteModel(TextWriter output, JsonNode model)
    {
        var traffic = model["traffic"];
        output.WriteLine($"model     {Format.Printable(Format.Text(model["name"]))}");
        output.WriteLine($"desired   {Format.Weights(traffic?["desired"])}");
        output.WriteLine($"observed  {Format.Weights(traffic?["observed"])}");
        if (traffic?["updated_at"] is not null)
        {
            output.WriteLine(Format.Printable(
                $"policy    {Format.Text(traffic["policy_id"])}, set {Format.Time(traffic["updated_at"])} by {Format.Text(traffic["updated_by"])}: {Format.Text(traffic["reason"])}"));
        }

        output.WriteLine();
        var versions = new TextTable("VERSION", "STATE", "FROM", "SIZE", "SHA256", "CREATED", "BY", "REASON");
        foreach (var version in model["versions"] as JsonArray ?? [])
        {
            versions.Add(Format.Text(version?["version"]), Format.Text(version?["state"]), Lineage(version?["lineage"]), Format.Bytes(version?["size_bytes"]),
                Format.ShortHash(version?["sha256"]), Format.Time(version?["created_at"]), Format.Text(version?["created_by"]),
                Format.Text(version?["state_reason"]));
        }

        versions.Write(output);
        output.WriteLine();
        var replicas = new TextTable("REPLICA", "AVAILABLE", "VERSIONS");
        foreach (var replica in model["replicas"] as JsonArray ?? [])
        {
            replicas.Add(Format.Text(replica?["name"]), Format.Text(replica?["ready"]),
                replica?["versions"] is JsonObject states ? string.Join(' ', states.Select(state => $"{state.Key}={Format.Text(state.Value)}")) : "-");
        }

        replicas.Write(output);
    }

    /// <summary>Where a version comes from: <c>1 by fp16</c> for one made from version 1, nothing for an upload.</summary>
    public static string Lineage(JsonNode? lineage) =>
        lineage?["parent"] is JsonValue parent ? $"{Format.Text(parent)} by {Format.Text(lineage["transform"]?["name"])}" : "";

    /// <summary>How many versions are in each state: <c>2 ready, 1 validating</c>.</summary>
    private static string VersionStates(JsonNode? versions) =>
        versions is JsonArray { Count: > 0 } array
            ? string.Join(", ", array.GroupBy(version => Format.Text(version?["state"])).Select(state => $"{state.Count()} {state.Key}"))
            : "-";
}
