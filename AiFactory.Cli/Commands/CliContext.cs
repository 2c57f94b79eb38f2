using System.CommandLine;
using AiFactory.Cli.Api;

namespace AiFactory.Cli.Commands;

/// <summary>What every command shares: the global options and the environment of this run.</summary>
internal sealed class CliContext(CliEnvironment environment)
{
    public GlobalOptions Options { get; } = new();

    /// <summary>
    /// Makes <paramref name="run"/> the command's action, with a client of the gateway. A failure becomes one line on
    /// stderr (the server's message; never the key) and its exit code.
    /// </summary>
    public void SetAction(Command command, Func<ParseResult, CommandSession, CancellationToken, Task<int>> run) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var api = new AdminApiClient(Options.Resolve(parse, environment));
                return await run(parse, new CommandSession(api, parse.GetValue(Options.Json), environment), cancellationToken);
            }
            catch (CommandFailedException e)
            {
                await environment.Error.WriteLineAsync($"aifactory: {e.Message}");
                return e.ExitCode;
            }
        });
}
