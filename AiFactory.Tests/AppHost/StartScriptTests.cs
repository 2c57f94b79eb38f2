using System.Diagnostics;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.AppHost;

/// <summary>
/// <c>scripts/start.sh</c> up to the moment it hands over to the AppHost: what it starts the AppHost with is what
/// <c>ps</c> shows every user of the machine, so the admin key must travel another way.
/// </summary>
public sealed class StartScriptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Start_script_gives_the_apphost_the_admin_key_through_its_environment_not_its_command_line()
    {
        var root = Directory.CreateTempSubdirectory("aifactory-start-").FullName;
        try
        {
            // The script as committed, in a copy of the repository's layout. Installing packages and fetching models
            // are not what this test is about (and scripts/test.sh runs both anyway); "dotnet" records how it was
            // started, as the AppHost would be, instead of starting it.
            Directory.CreateDirectory(Path.Combine(root, "scripts"));
            File.Copy(Path.Combine(RepositoryPaths.Root, "scripts", "start.sh"), Path.Combine(root, "scripts", "start.sh"));
            foreach (var skipped in new[] { "install-prerequisites.sh", "fetch-models.sh" })
            {
                await File.WriteAllTextAsync(Path.Combine(root, "scripts", skipped), "#!/usr/bin/env bash\n");
            }

            var bin = Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
            await File.WriteAllTextAsync(Path.Combine(bin, "dotnet"), """
                #!/usr/bin/env bash
                cat /proc/$$/cmdline > "$RECORD/cmdline"
                cat /proc/$$/environ > "$RECORD/environ"
                """);
            File.SetUnixFileMode(Path.Combine(bin, "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var record = Directory.CreateDirectory(Path.Combine(root, "record")).FullName;

            var start = new ProcessStartInfo("bash", [Path.Combine(root, "scripts", "start.sh")]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";
            start.Environment["RECORD"] = record;
            using (var script = Process.Start(start)!)
            {
                var output = script.StandardOutput.ReadToEndAsync();
                var errors = script.StandardError.ReadToEndAsync();
                await script.WaitForExitAsync().WaitAsync(Timeout);
                Assert.True(script.ExitCode == 0, $"start.sh failed ({script.ExitCode}): {await errors}{await output}");
            }

            var key = (await File.ReadAllTextAsync(Path.Combine(root, ".data", "admin-key"))).Trim();
            var commandLine = (await File.ReadAllTextAsync(Path.Combine(record, "cmdline"))).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var environment = (await File.ReadAllTextAsync(Path.Combine(record, "environ"))).Split('\0', StringSplitOptions.RemoveEmptyEntries);

            Assert.True(key.Length >= 32, $"start.sh made a key of {key.Length} characters");
            Assert.Contains("AiFactory.AppHost", commandLine);
            Assert.False(commandLine.Any(argument => argument.Contains(key, StringComparison.Ordinal)),
                $"the AppHost's command line shows the admin key: {string.Join(' ', commandLine).Replace(key, "<admin key>")}");
            Assert.Contains($"Parameters__gateway_admin_key={key}", environment);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
