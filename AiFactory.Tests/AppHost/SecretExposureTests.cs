using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;
using Npgsql;

namespace AiFactory.Tests.AppHost;

/// <summary>
/// Where the secrets go while the AppHost runs the application: never onto a command line (which <c>ps</c> shows every
/// user of the machine) or into a log, and the bootstrap admin key into the gateway's environment and nowhere else.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SecretExposureTests(AppHostFixture fixture)
{
    [Fact]
    public async Task No_secret_is_on_a_command_line_of_the_application_or_in_its_log()
    {
        // The AppHost runs in this process.
        var processes = LocalProcesses.ApplicationOf(Environment.ProcessId).Append(Environment.ProcessId).ToList();
        foreach (var resource in AppHostFixture.Resources)
        {
            using var process = fixture.ProcessOf(resource);
            Assert.Contains(process.Id, processes);
        }

        var log = fixture.FullLog.Split('\n');
        foreach (var (secret, value) in await SecretsAsync())
        {
            foreach (var pid in processes)
            {
                var commandLine = LocalProcesses.CommandLineOf(pid) ?? "";
                Assert.False(commandLine.Contains(value, StringComparison.Ordinal),
                    $"process {pid} shows {secret} on its command line: {commandLine.Replace(value, $"<{secret}>")}");
            }

            var leaks = log.Where(line => line.Contains(value, StringComparison.Ordinal)).ToList();
            Assert.True(leaks.Count == 0, $"the log shows {secret}:\n{string.Join('\n', leaks).Replace(value, $"<{secret}>")}");
        }
    }

    [Fact]
    public void Only_the_gateway_is_given_the_admin_key()
    {
        // The gateway and the `dotnet run` launcher Aspire starts it through, which hands it its environment.
        using var gateway = fixture.ProcessOf("gateway");
        var launcher = LocalProcesses.ParentOf(gateway.Id)!.Value;
        var gatewayProcesses = LocalProcesses.DescendantsOf(launcher).Append(launcher).ToHashSet();

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

    // What the application holds that must stay secret: the keys, the database passwords (the superuser's and the
    // gateway's role's) and Redis's password (scripts/run-redis.sh hands it to redis-server on its standard input).
    private async Task<Dictionary<string, string>> SecretsAsync() => new()
    {
        ["the cache password"] = (await fixture.App.GetConnectionStringAsync("cache"))!.Split(",password=")[1],
        ["the admin key"] = fixture.AdminKey,
        ["the gateway's database password"] = new NpgsqlConnectionStringBuilder(fixture.EnvironmentOf("gateway")["ConnectionStrings__aifactory"]).Password!,
        ["the PostgreSQL superuser's password"] = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync("postgres")).Password!,
    };
}
