using System.Globalization;

namespace AiFactory.Benchmarks;

/// <summary>
/// Memory of a group of processes at one moment, summed over them: resident set (RSS) and proportional set (PSS, in
/// which each shared page is divided among the processes that share it, so a sum over processes counts it once).
/// </summary>
public readonly record struct MemoryReading(int Processes, long RssBytes, long PssBytes);

/// <summary>
/// A named set of processes measured together (a server, or a script and every process it started), found afresh at
/// each reading: PostgreSQL starts and ends backends as connections come and go.
/// </summary>
public sealed record ProcessGroup(string Name, Func<IReadOnlyList<int>> Pids)
{
    /// <summary>This process: the benchmark's own client.</summary>
    public static ProcessGroup Self(string name) => new(name, () => [Environment.ProcessId]);

    /// <summary>Every process started, directly or not, by <paramref name="pid"/> (Linux <c>/proc</c>).</summary>
    public static IReadOnlyList<int> DescendantsOf(int pid)
    {
        var found = new List<int>();
        var frontier = new Queue<int>([pid]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var child in ChildrenOf(parent))
            {
                found.Add(child);
                frontier.Enqueue(child);
            }
        }

        return found;
    }

    /// <summary>The group's memory now; processes that end while being read count as nothing.</summary>
    public MemoryReading Read()
    {
        var (processes, rss, pss) = (0, 0L, 0L);
        foreach (var pid in Pids())
        {
            // smaps_rollup: one line per figure, "Rss:   1234 kB".
            var rollup = ReadOrNull($"/proc/{pid}/smaps_rollup");
            if (rollup is null)
            {
                continue;
            }

            processes++;
            rss += Kilobytes(rollup, "Rss:") * 1024;
            pss += Kilobytes(rollup, "Pss:") * 1024;
        }

        return new MemoryReading(processes, rss, pss);
    }

    // Each thread lists the children it forked in /proc/<pid>/task/<tid>/children.
    private static IEnumerable<int> ChildrenOf(int pid)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (IOException)
        {
            return [];
        }

        return tasks.SelectMany(task => (ReadOrNull(Path.Combine(task, "children")) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(child => int.Parse(child, CultureInfo.InvariantCulture));
    }

    private static long Kilobytes(string rollup, string field)
    {
        var line = rollup.Split('\n').FirstOrDefault(line => line.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the process ended meanwhile
        }
    }
}
