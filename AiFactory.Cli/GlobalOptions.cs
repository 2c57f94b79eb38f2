using System.CommandLine;
using AiFactory.Cli.Api;

namespace AiFactory.Cli;

/// <summary>The options every command takes: where the gateway is, the API key, and <c>--json</c>.</summary>
internal sealed class GlobalOptions
{
    public const string GatewayVariable = "AIFACTORY_GATEWAY";
    public const string KeyVariable = "AIFACTORY_API_KEY";
    public const string DefaultGateway = "http://localhost:5080";

    public Option<string?> Gateway { get; } = new("--gateway")
    {
        Description = $"The gateway's URL [default: ${GatewayVariable}, else {DefaultGateway}]",
        HelpName = "url",
        Recursive = true,
    };

    public Option<string?> Key { get; } = new("--key")
    {
        Description = $"An API key with the admin scope [default: ${KeyVariable}]. Prefer ${KeyVariable} or --key-file: "
                      + "other users of the machine can read a command line",
        HelpName = "key",
        Recursive = true,
    };

    public Option<FileInfo?> KeyFile { get; } = new("--key-file")
    {
        Description = "A file holding the API key (its first line)",
        HelpName = "path",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the API's JSON instead of a table (for scripts)",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        root.Options.Add(Gateway);
        root.Options.Add(Key);
        root.Options.Add(KeyFile);
        root.Options.Add(Json);
    }

    /// <summary>The gateway and key this run uses: options first, then the environment.</summary>
    public GatewayConnection Resolve(ParseResult parse, CliEnvironment environment) =>
        new(GatewayUri(parse.GetValue(Gateway) ?? environment.Variable(GatewayVariable) ?? DefaultGateway),
            ApiKey(parse, environment));

    private static Uri GatewayUri(string value)
    {
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw CommandFailedException.Usage($"the gateway URL must be an absolute http or https URL, not '{value}'");
        }

        // Everything after the host is printed in messages; credentials there would be too.
        if (uri.UserInfo.Length > 0)
        {
            throw CommandFailedException.Usage($"the gateway URL must not carry credentials; give the API key with ${KeyVariable} or --key-file");
        }

        // The admin paths are appended to it, so a gateway behind a path prefix (an ingress) works as well.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    private string ApiKey(ParseResult parse, CliEnvironment environment)
    {
        var option = parse.GetValue(Key);
        var file = parse.GetValue(KeyFile);
        if (option is not null && file is not null)
        {
            throw CommandFailedException.Usage("give the API key with --key or --key-file, not both");
        }

        var (key, source) = file is not null ? (ReadKeyFile(file), $"the key file {file.FullName}")
            : option is not null ? (option, "--key")
            : (environment.Variable(KeyVariable), $"${KeyVariable}");
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new CommandFailedException(ExitCodes.Unauthorized,
                file is null && option is null
                    ? $"no API key: set ${KeyVariable}, or pass --key-file (a key with the admin scope)"
                    : $"no API key in {source}");
        }

        key = key.Trim();
        // A key travels in a header: a character a header cannot carry (a line break, say) is refused here, without
        // echoing the key, rather than in an HTTP exception whose message might.
        if (!key.All(c => c is > ' ' and < '\u007f'))
        {
            throw CommandFailedException.Usage($"the API key in {source} has characters an API key cannot contain (spaces, line breaks or non-ASCII)");
        }

        return key;
    }

    // The first line, read with a bound: a key file that is not one (a device, a huge file) cannot fill the memory.
    private static string ReadKeyFile(FileInfo file)
    {
        const int MaxKeyFileChars = 1024;
        try
        {
            using var reader = file.OpenText();
            var buffer = new char[MaxKeyFileChars];
            var length = reader.ReadBlock(buffer);
            var line = buffer.AsSpan(0, length);
            var end = line.IndexOfAny('\r', '\n');
            if (end < 0 && length == MaxKeyFileChars)
            {
                throw CommandFailedException.Usage($"the key file {file.FullName} does not start with an API key (no line break in its first {MaxKeyFileChars} characters)");
            }

            return new string(end < 0 ? line : line[..end]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CommandFailedException.Usage($"cannot read the key file {file.FullName}: {e.Message}");
        }
    }
}
