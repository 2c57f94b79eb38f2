namespace AiFactory.Cli;

// Not top-level statements: those declare a global Program, which the inference service (referenced by the same
// tests) declares too.
internal static class Program
{
    private static Task<int> Main(string[] args) => CliApplication.RunAsync(args, CliEnvironment.FromProcess());
}
