namespace AiFactory.Tests.Infrastructure;

/// <summary>This machine's processes as <c>/proc</c> shows them: what <c>ps</c> tells every user of the machine.</summary>
public static class LocalProcesses
{
    /// <summary>
    /// Every process started, directly or not, by <paramref name="ancestor"/>. For the process that runs the AppHost,
    /// every process of the application: DCP, the services, the servers and whatever they started.
    /// </summary>
    public static IReadOnlyList<int> DescendantsOf(int ancestor)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && ParentOf(pid) is { } parent)
            {
                parents[pid] = parent;
            }
        }

        var descendants = new List<int>();
        var frontier = new Queue<int>([ancestor]);
        while (frontier.TryDequeue(out var next))
        {
            foreach (var (child, _) in parents.Where(pair => pair.Value == next))
            {
                descendants.Add(child);
                frontier.Enqueue(child);
            }
        }

        return descendants;
    }

    /// <summary>
    /// Every process of the application an AppHost running in process <paramref name="appHost"/> runs: what it starts
    /// itself, and DCP (which detaches from it, and watches it through <c>--monitor &lt;pid&gt;</c>) with every
    /// resource DCP starts and whatever those start.
    /// </summary>
    public static IReadOnlyList<int> ApplicationOf(int appHost)
    {
        var dcp = Directory.EnumerateDirectories("/proc")
            .Select(directory => int.TryParse(Path.GetFileName(directory), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLineOf(pid) is { } commandLine
                          && commandLine.Contains("/dcp ", StringComparison.Ordinal) && commandLine.Contains($" --monitor {appHost} ", StringComparison.Ordinal))
            .ToList();
        return [.. DescendantsOf(appHost), .. dcp, .. dcp.SelectMany(DescendantsOf)];
    }

    /// <summary>The processes whose parent is <paramref name="pid"/>.</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(directory => int.TryParse(Path.GetFileName(directory), out var candidate) ? candidate : 0)
            .Where(candidate => candidate > 0 && ParentOf(candidate) == pid)];

    /// <summary>The arguments of process <paramref name="pid"/>, separated by spaces; null when it has ended.</summary>
    public static string? CommandLineOf(int pid) => Read($"/proc/{pid}/cmdline")?.Replace('\0', ' ');

    /// <summary>
    /// The environment process <paramref name="pid"/> started with (<c>/proc/&lt;pid&gt;/environ</c>, readable by its
    /// user and root); null when it has ended or cannot be read.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? EnvironmentOf(int pid) =>
        Read($"/proc/{pid}/environ")?.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0])
            .ToDictionary(group => group.Key, group => group.Last()[1]);

    /// <summary>The parent of process <paramref name="pid"/>; null when it has ended.</summary>
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may itself hold spaces and parentheses.
    public static int? ParentOf(int pid) =>
        Read($"/proc/{pid}/stat") is { } stat && int.TryParse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], out var parent)
            ? parent
            : null;

    private static string? Read(string path)
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
