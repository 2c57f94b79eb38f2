using System.Text.Json.Nodes;
using AiFactory.Cli.Api;
using AiFactory.Cli.Output;

namespace AiFactory.Cli.Commands;

/// <summary>What a command's action works with: the admin API, where to write, and whether to write JSON.</summary>
internal sealed class CommandSession(AdminApiClient api, bool json, CliEnvironment environment)
{
    public AdminApiClient Api => api;

    public CliEnvironment Environment => environment;

    public TextWriter Out => environment.Out;

    /// <summary>Progress and waiting messages: stderr, so stdout holds only the result.</summary>
    public TextWriter Status => environment.Error;

    /// <summary>Writes <paramref name="answer"/> as JSON with <c>--json</c>, else as <paramref name="readable"/> writes it.</summary>
    public int Write(JsonNode answer, Action<TextWriter, JsonNode> readable)
    {
        if (json)
        {
            JsonOutput.Write(Out, answer);
        }
        else
        {
            readable(Out, answer);
        }

        return ExitCodes.Success;
    }
}
