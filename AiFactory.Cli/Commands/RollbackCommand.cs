using System.CommandLine;
using System.Text.Json.Nodes;
using AiFactory.Cli.Api;

namespace AiFactory.Cli.Commands;

/// <summary><c>aifactory rollback &lt;model&gt; --reason "..."</c>: back to the traffic policy in force before the current one.</summary>
internal static class RollbackCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = "The model's name" };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log)", Required = true, HelpName = "text" };
        var rollback = new Command("rollback", "Return the model's traffic to the policy in force before the current one (again: further back)") { model, reason };
        context.SetAction(rollback, async (parse, session, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(model);
            var answer = await session.Api.SendJsonAsync(HttpMethod.Post, AdminPaths.Rollback(name),
                new JsonObject { ["reason"] = parse.GetRequiredValue(reason) }, cancellationToken);
            return session.Write(answer, (output, traffic) => TrafficCommand.WriteTraffic(output, name, traffic));
        });
        return rollback;
    }
}
