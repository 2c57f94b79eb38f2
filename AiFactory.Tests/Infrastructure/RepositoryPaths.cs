namespace AiFactory.Tests.Infrastructure;

/// <summary>Paths inside this repository, found from the test binaries upwards.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Models => Path.Combine(Root, "models");

    /// <summary>A sample model fetched by <c>scripts/fetch-models.sh</c>; fails with the fix when it is missing.</summary>
    public static string Model(string name, int version = 1)
    {
        var path = Path.Combine(Models, name, version.ToString(), "model.onnx");
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/fetch-models.sh first");
        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AiFactory.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"AiFactory.sln not found above {AppContext.BaseDirectory}");
    }
}
