namespace AiFactory.Benchmarks;

internal static class Paths
{
    public static string Root { get; } = FindRoot();

    public static string Model(string name)
    {
        var path = Path.Combine(Root, "models", name, "1", "model.onnx");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: run scripts/fetch-models.sh first");
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

        throw new InvalidOperationException("AiFactory.sln not found");
    }
}
