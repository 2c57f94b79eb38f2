using AiFactory.Benchmarks;

// One run, one machine: the in-process limits first, then the server measured against them.
//   dotnet run -c Release --project AiFactory.Benchmarks -- [--seconds 3] [--output docs/benchmark-results.md]
//       [--intra-op-threads N] [--instances N]     (session options for both the limits and the server)
var seconds = double.Parse(Argument("--seconds") ?? "3");
var output = Argument("--output");
var settings = new BenchmarkSettings(int.Parse(Argument("--intra-op-threads") ?? "0"), int.Parse(Argument("--instances") ?? "1"));
var report = new Report(seconds, settings);

var model = Paths.Model("text-direction");
Console.WriteLine($"model {model}, {Environment.ProcessorCount} cores, {seconds} s per measurement");

var limits = InProcessBenchmark.Run(model, settings, TimeSpan.FromSeconds(seconds), report);

await using (var server = await ServerProcess.StartAsync(model, settings))
{
    await ServerBenchmark.RunAsync(server, limits, TimeSpan.FromSeconds(seconds), report);
}

var markdown = report.ToMarkdown();
Console.WriteLine(markdown);
if (output is not null)
{
    await File.WriteAllTextAsync(output, markdown);
    Console.WriteLine($"written to {output}");
}

string? Argument(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
