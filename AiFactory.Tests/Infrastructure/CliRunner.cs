using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AiFactory.Cli;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace AiFactory.Tests.Infrastructure;

/// <summary>What a run of the CLI gave: its exit code, stdout and stderr.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public JsonNode Json => JsonNode.Parse(Out) ?? throw new InvalidOperationException($"no JSON on stdout: {this}");

    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the <c>aifactory</c> CLI in-process through its entry point (<see cref="CliApplication.RunAsync"/>), with
/// a real HttpClient, the given environment variables and its output captured.
/// </summary>
public static class CliRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var cli = new CliEnvironment(output, error, name => environment.GetValueOrDefault(name), ErrorIsTerminal: false, TimeProvider.System);
        var exitCode = await CliApplication.RunAsync(args, cli).WaitAsync(Timeout);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs the CLI against the AppHost's gateway, with <paramref name="apiKey"/> in <c>AIFACTORY_API_KEY</c>.</summary>
    public static Task<CliResult> RunCliWithKeyAsync(this AppHostFixture fixture, string apiKey, params string[] args) =>
        RunAsync(Environment(fixture.App.GetEndpoint("gateway", "http"), apiKey), args);

    /// <summary>Runs the CLI against the AppHost's gateway with its bootstrap admin key.</summary>
    public static Task<CliResult> RunCliAsync(this AppHostFixture fixture, params string[] args) => fixture.RunCliWithKeyAsync(fixture.AdminKey, args);

    /// <summary>The built tool as its own process against the AppHost's gateway, the admin key only in its environment.</summary>
    public static CliProcess StartCli(this AppHostFixture fixture, params string[] args) =>
        new(Environment(fixture.App.GetEndpoint("gateway", "http"), fixture.AdminKey), args);

    public static Dictionary<string, string?> Environment(Uri gateway, string? apiKey) => new()
    {
        ["AIFACTORY_GATEWAY"] = gateway.ToString(),
        ["AIFACTORY_API_KEY"] = apiKey,
    };

    /// <summary>A loopback URL where nothing listens (a port just released): connections are refused.</summary>
    public static Uri UnreachableGateway()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}

/// <summary>The built tool (AiFactory.Cli.dll beside the tests, run by <c>dotnet</c>) as its own process.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Task<string> _output;
    private readonly Task<string> _error;

    public CliProcess(IReadOnlyDictionary<string, string?> environment, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AiFactory.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        Process = Process.Start(start)!;
        // Read as it comes, so a full pipe never blocks the tool.
        _output = Process.StandardOutput.ReadToEndAsync();
        _error = Process.StandardError.ReadToEndAsync();
    }

    public Process Process { get; }

    public async Task<CliResult> ExitAsync(TimeSpan timeout)
    {
        await Process.WaitForExitAsync().WaitAsync(timeout);
        return new CliResult(Process.ExitCode, await _output, await _error);
    }

    public void Dispose() => Process.Dispose();
}
