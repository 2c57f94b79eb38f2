namespace AiFactory.Inference.Validation;

/// <summary>
/// A temporary folder for one validation or transform (the artifacts it downloads), deleted when disposed; a folder
/// that cannot be deleted is logged and left for the system's temp cleanup rather than failing the work.
/// </summary>
public sealed class WorkFolder(string prefix, ILogger logger) : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory(prefix);

    public string File(string name) => Path.Combine(_folder.FullName, name);

    public void Dispose()
    {
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException e)
        {
            logger.LogWarning("Could not delete the work folder {Folder}: {Reason}", _folder.FullName, e.Message);
        }
    }
}
