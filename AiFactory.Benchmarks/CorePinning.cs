using System.Diagnostics;

namespace AiFactory.Benchmarks;

/// <summary>
/// Puts the load generator (this process) on a core of its own and every process it started (inference, gateway,
/// Redis, PostgreSQL, the object store) on the others, each with all its threads (<c>taskset -a</c>), so that a
/// server's share of the machine is measured apart from the client's. Linux only; says why when it cannot.
/// </summary>
public static class CorePinning
{
    /// <summary>What was pinned where, or why nothing was.</summary>
    public static string PinClientApart()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not pinned (taskset is Linux's)";
        }

        var mask = (long)Process.GetCurrentProcess().ProcessorAffinity;
        var cores = Enumerable.Range(0, 64).Where(core => (mask & (1L << core)) != 0).ToList();
        if (cores.Count < 2)
        {
            return "not pinned (one core)";
        }

        var (client, servers) = (cores[^1].ToString(), string.Join(',', cores[..^1]));
        foreach (var pid in ProcessGroup.DescendantsOf(Environment.ProcessId))
        {
            if (Taskset(servers, pid) is { } failure)
            {
                return $"not pinned ({failure})";
            }
        }

        return Taskset(client, Environment.ProcessId) is { } own ? $"not pinned ({own})" : $"load generator on core {client}, servers on cores {servers}";
    }

    private static string? Taskset(string cores, int pid)
    {
        try
        {
            using var taskset = Process.Start(new ProcessStartInfo("taskset", ["-a", "-cp", cores, pid.ToString()])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var error = taskset.StandardError.ReadToEnd();
            taskset.WaitForExit();
            // A process that ended meanwhile (a PostgreSQL backend) is no failure.
            return taskset.ExitCode == 0 || !Directory.Exists($"/proc/{pid}") ? null : $"taskset {pid}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"taskset: {e.Message}";
        }
    }
}
