namespace AiFactory.Cli;

/// <summary>A command that cannot go on: <see cref="Exception.Message"/> goes to stderr, <see cref="ExitCode"/> to the shell.</summary>
public sealed class CommandFailedException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CommandFailedException Usage(string message) => new(ExitCodes.Usage, message);
}
