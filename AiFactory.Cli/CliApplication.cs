using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.RegularExpressions;
using AiFactory.Cli.Commands;

namespace AiFactory.Cli;

/// <summary>The <c>aifactory</c> command line: its commands, and a run of it that ends in an exit code.</summary>
public static partial class CliApplication
{
    private static readonly string Description = $"""
        aifactory: the admin API of an AiFactory gateway from a terminal or a pipeline: push models and wait for their
        validation, split traffic between versions, roll back, manage API keys, read usage and the audit log.

        The gateway: --gateway or ${GlobalOptions.GatewayVariable} (default {GlobalOptions.DefaultGateway}).
        The API key (admin scope): ${GlobalOptions.KeyVariable}, --key-file or --key; it is never printed.
        --json prints the API's JSON; the default is a readable table. Errors go to stderr.

        {ExitCodes.Help}
        """;

    public static RootCommand Create(CliEnvironment environment)
    {
        var context = new CliContext(environment);
        var root = new RootCommand(Description)
        {
            ModelsCommand.Create(context),
            TrafficCommand.Create(context),
            RollbackCommand.Create(context),
            KeysCommand.Create(context),
            UsageCommand.Create(context),
            AuditCommand.Create(context),
        };
        context.Options.AddTo(root);
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; bad arguments print what is wrong and give <see cref="ExitCodes.Usage"/>.</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var parse = Create(environment).Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors)
            {
                await environment.Error.WriteLineAsync($"aifactory: {Redact(error.Message, environment)}");
            }

            await environment.Error.WriteLineAsync($"Run '{HelpCommandOf(parse)} --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = environment.Out, Error = environment.Error }, cancellationToken);
    }

    /// <summary>
    /// A key typed where no argument belongs (after a misspelt --key, say) would be echoed as an unrecognised
    /// argument: anything shaped like a key, and the key in the environment, is hidden from the message.
    /// </summary>
    private static string Redact(string message, CliEnvironment environment)
    {
        var redacted = KeyShape().Replace(message, "afk_(hidden)");
        return environment.Variable(GlobalOptions.KeyVariable)?.Trim() is { Length: > 0 } key ? redacted.Replace(key, "(the API key)") : redacted;
    }

    [GeneratedRegex("afk_[^'\\s]+")]
    private static partial Regex KeyShape();

    private static string HelpCommandOf(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        names[0] = "aifactory";
        return string.Join(' ', names);
    }
}
