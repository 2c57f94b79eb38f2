namespace AiFactory.Tests.Infrastructure;

/// <summary>A file with the given bytes in the temp folder, deleted at the end of the test.</summary>
public sealed class TemporaryFile : IDisposable
{
    public TemporaryFile(byte[] content, string extension = ".tmp")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"aifactory-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(Path, content);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
