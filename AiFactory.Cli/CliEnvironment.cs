namespace AiFactory.Cli;

/// <summary>
/// What a run of the CLI reads and writes: the process's console and environment variables, or a test's.
/// </summary>
/// <param name="Out">Results: tables, summaries, JSON.</param>
/// <param name="Error">Errors, upload progress and waiting messages, so <c>--json</c> output stays parseable.</param>
/// <param name="Variable">Reads an environment variable (null when unset).</param>
/// <param name="ErrorIsTerminal">Whether <paramref name="Error"/> is a terminal: a redrawn progress bar, else plain lines.</param>
public sealed record CliEnvironment(TextWriter Out, TextWriter Error, Func<string, string?> Variable, bool ErrorIsTerminal, TimeProvider Time)
{
    public static CliEnvironment FromProcess() =>
        new(Console.Out, Console.Error, Environment.GetEnvironmentVariable, !Console.IsErrorRedirected, TimeProvider.System);
}
