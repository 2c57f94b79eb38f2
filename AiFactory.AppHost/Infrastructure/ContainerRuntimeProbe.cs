using System.Diagnostics;

namespace AiFactory.AppHost.Infrastructure;

/// <summary>Asks the container runtime Aspire would use whether its engine answers.</summary>
internal static class ContainerRuntimeProbe
{
    /// <summary>True when <c>docker info</c> (or the runtime in <c>ASPIRE_CONTAINER_RUNTIME</c>) succeeds.</summary>
    public static bool TryDetect(out string reason)
    {
        var runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } configured ? configured : "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info --format {{.ServerVersion}}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                reason = $"'{runtime} info' did not answer within 10 s";
                return false;
            }

            var version = process.StandardOutput.ReadToEnd().Trim();
            var error = process.StandardError.ReadToEnd().Trim();
            reason = process.ExitCode == 0
                ? $"{runtime} engine {version} answers"
                : $"'{runtime} info' failed: {FirstLine(error)}";
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            reason = $"'{runtime}' cannot be started: {e.Message}";
            return false;
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
