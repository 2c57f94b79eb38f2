using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiFactory.Inference.Registry;

/// <summary>
/// The last desired state read from the registry, kept in <c>&lt;repository&gt;/registry-state.json</c>, so a replica
/// that starts while PostgreSQL does not answer serves what it served before from its local cache.
/// </summary>
public sealed class RegistryStateFile(string repositoryRoot, ILogger logger)
{
    public const string FileName = "registry-state.json";

    public string Path { get; } = System.IO.Path.Combine(repositoryRoot, FileName);

    /// <summary>The recorded desired state; null when there is none or it cannot be read (logged).</summary>
    public IReadOnlyList<DesiredVersion>? Load()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(Path), RegistryStateJsonContext.Default.ListDesiredVersion);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "The recorded registry state {Path} cannot be read; it is ignored", Path);
            return null;
        }
    }

    /// <summary>Records <paramref name="desired"/>, atomically (a reader never sees half a file).</summary>
    public void Save(IReadOnlyList<DesiredVersion> desired)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var staging = Path + ".partial";
        File.WriteAllText(staging, JsonSerializer.Serialize([.. desired], RegistryStateJsonContext.Default.ListDesiredVersion));
        File.Move(staging, Path, overwrite: true);
    }
}

[JsonSerializable(typeof(List<DesiredVersion>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class RegistryStateJsonContext : JsonSerializerContext;
