using System.CommandLine;
using System.Text.Json.Nodes;
using AiFactory.Cli.Api;
using AiFactory.Cli.Arguments;
using AiFactory.Cli.Output;

namespace AiFactory.Cli.Commands;

/// <summary><c>aifactory traffic set &lt;model&gt; 1=90 2=10 --reason "..." [--force]</c>.</summary>
internal static class TrafficCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var weights = new Argument<TrafficWeights>("weights")
        {
            Description = "<version>=<percent> for each version, summing to 100 (a version at 0 stays loaded but gets no traffic)",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = TrafficWeights.Parse,
        };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log)", Required = true, HelpName = "text" };
        var force = new Option<bool>("--force") { Description = "Give traffic to a version whose signature is not compatible with the stable one (audited as forced)" };
        var set = new Command("set", "Split the model's traffic between its ready versions, atomically") { model, weights, reason, force };
        context.SetAction(set, async (parse, session, cancellationToken) =>
        {
            var body = new JsonObject
            {
                ["weights"] = parse.GetRequiredValue(weights).ToJson(),
                ["reason"] = parse.GetRequiredValue(reason),
                ["force"] = parse.GetValue(force),
            };
            var name = parse.GetRequiredValue(model);
            return session.Write(await session.Api.SendJsonAsync(HttpMethod.Put, AdminPaths.Traffic(name), body, cancellationToken),
                (output, answer) => WriteTraffic(output, name, answer));
        });

        return new Command("traffic", "The traffic split between a model's versions") { set };
    }

    /// <summary>Desired and observed weights (the answer of a traffic change or a rollback, or a model's <c>traffic</c>).</summary>
    public static void WriteTraffic(TextWriter output, string model, JsonNode answer)
    {
        var traffic = answer["desired"] is not null ? answer : answer["traffic"] ?? answer;
        var desired = Format.Weights(traffic["desired"]);
        var observed = Format.Weights(traffic["observed"]);
        output.WriteLine($"model     {Format.Printable(model)}");
        output.WriteLine($"desired   {desired}");
        output.WriteLine($"observed  {observed}");
        if (desired != observed)
        {
            output.WriteLine(Format.Printable($"The replicas are still loading: traffic follows the observed weights until every replica serves the desired versions ('aifactory models show {model}')."));
        }
    }
}
