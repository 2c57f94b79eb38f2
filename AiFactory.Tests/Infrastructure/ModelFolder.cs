namespace AiFactory.Tests.Infrastructure;

/// <summary>A model repository folder a test builds and changes while a server watches it.</summary>
public sealed class ModelFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("aifactory-repo-").FullName;

    /// <summary>Places a copy of a sample model as <paramref name="model"/>/<paramref name="version"/>, atomically.</summary>
    public void AddVersion(string model, int version, string sample = SampleModels.TextDirection)
    {
        var directory = Directory.CreateDirectory(System.IO.Path.Combine(Path, model)).FullName;
        var staging = System.IO.Path.Combine(directory, $".staging-{version}");
        Directory.CreateDirectory(staging);
        File.Copy(RepositoryPaths.Model(sample), System.IO.Path.Combine(staging, "model.onnx"), overwrite: true);
        Directory.Move(staging, System.IO.Path.Combine(directory, version.ToString()));
    }

    /// <summary>Replaces a version's file with a new copy (a new write time), atomically.</summary>
    public void ReplaceVersion(string model, int version, string sample = SampleModels.TextDirection)
    {
        var target = System.IO.Path.Combine(Path, model, version.ToString(), "model.onnx");
        var staging = target + ".new";
        File.Copy(RepositoryPaths.Model(sample), staging, overwrite: true);
        File.SetLastWriteTimeUtc(staging, DateTime.UtcNow.AddSeconds(5));
        File.Move(staging, target, overwrite: true);
    }

    /// <summary>Writes <paramref name="onnx"/> as <paramref name="model"/>/<paramref name="version"/>, new or replacing the file, atomically.</summary>
    public void WriteVersion(string model, int version, byte[] onnx)
    {
        var directory = Directory.CreateDirectory(System.IO.Path.Combine(Path, model, version.ToString())).FullName;
        var target = System.IO.Path.Combine(directory, "model.onnx");
        var staging = target + ".new";
        File.WriteAllBytes(staging, onnx);
        // A new write time, so the poller sees a replacement even within the file system's timestamp granularity.
        File.SetLastWriteTimeUtc(staging, File.Exists(target) ? File.GetLastWriteTimeUtc(target).AddSeconds(1) : DateTime.UtcNow);
        File.Move(staging, target, overwrite: true);
    }

    public void RemoveModel(string model) =>
        Directory.Delete(System.IO.Path.Combine(Path, model), recursive: true);

    public void RemoveVersion(string model, int version) =>
        Directory.Delete(System.IO.Path.Combine(Path, model, version.ToString()), recursive: true);

    public void WriteConfig(string model, string json)
    {
        Directory.CreateDirectory(System.IO.Path.Combine(Path, model));
        File.WriteAllText(System.IO.Path.Combine(Path, model, "config.json"), json);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A session may still hold a file open for a moment; the folder is in the temp directory.
        }
    }
}
