using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.AppHost;

/// <summary>
/// Where the bootstrap admin key goes while the AppHost runs the application: into the gateway's environment and
/// nowhere else, never onto a command line (which <c>ps</c> shows every user of the machine) or into a log.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SecretExposureTests(AppHostFixture fixture)
{
    [Fact]
    public void The_admin_key_is_on_no_command_line_of_the_application_and_in_no_log()
    {
        // The AppHost runs in this process.
        var processes = LocalProcesses.ApplicationOf(Environment.ProcessId).Append(Environment.ProcessId).ToList();
        foreach (var resource in AppHostFixture.Resources)
        {
            using var process = fixture.ProcessOf(resource);
            Assert.Contains(process.Id, processes);
        }

        foreach (var pid in processes)
        {
            var commandLine = LocalProcesses.CommandLineOf(pid) ?? "";
            Assert.False(commandLine.Contains(fixture.AdminKey, StringComparison.Ordinal),
                $"process {pid} shows the admin key on its command line: {commandLine.Replace(fixture.AdminKey, "<admin key>")}");
        }

        var leaks = fixture.FullLog.Split('\n').Where(line => line.Contains(fixture.AdminKey, StringComparison.Ordinal)).ToList();
        Assert.True(leaks.Count == 0, $"the log shows the admin key:\n{string.Join('\n', leaks).Replace(fixture.AdminKey, "<admin key>")}");
    }

    [Fact]
    public void Only_the_gateway_is_given_the_admin_key()
    {
        using var gateway = fixture.ProcessOf("gateway");
        var gatewayProcesses = LocalProcesses.DescendantsOf(gateway.Id).Append(gateway.Id).ToHashSet();

        var holders = LocalProcesses.ApplicationOf(Environment.ProcessId)
            .Select(pid => (Pid: pid, Variables: LocalProcesses.EnvironmentOf(pid)?
                .Where(variable => variable.Value.Contains(fixture.AdminKey, StringComparison.Ordinal)).Select(variable => variable.Key).ToList() ?? []))
            .Where(holder => holder.Variables.Count > 0)
            .ToList();

        Assert.Contains(holders, holder => holder.Pid == gateway.Id && holder.Variables.SequenceEqual(["Gateway__ApiKeys__BootstrapAdminKey"]));
        foreach (var (pid, variables) in holders.Where(holder => !gatewayProcesses.Contains(holder.Pid)))
        {
            Assert.Fail($"process {pid} ({LocalProcesses.CommandLineOf(pid)}) holds the admin key in {string.Join(", ", variables)}");
        }
    }
}
