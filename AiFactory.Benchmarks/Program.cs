using System.Globalization;
using AiFactory.Benchmarks;
using AiFactory.Benchmarks.Optimization;
using AiFactory.Benchmarks.Soak;
using AiFactory.Evaluation.Ocr;

// One run, one machine: the in-process limits first, then the server measured against them.
//   dotnet run -c Release --project AiFactory.Benchmarks -- [--seconds 3] [--rounds 1] [--output docs/benchmark-results.md]
//       (--rounds N: each served row is the median of N rounds, batching off, on and padded alternating)
//       [--intra-op-threads N] [--instances N]     (session options for both the limits and the server)
//       [--provider auto|cuda|tensorrt|cpu]         (written into every model config; default: left out = auto)
//       [--detection]                               (also the text detector at 640x640, served, one request at a time)
//       [--cudnn-conv-algo-search exhaustive|heuristic|default]   (written into every model config; default: left out)
//       [--protocols JSON,binary,gRPC]              (the served rows' protocols; default: all three)
//       [--cuda-graphs]                             (the padded model captures a CUDA graph per padded size; CUDA only)
//   dotnet run -c Release --project AiFactory.Benchmarks -- --gateway [--seconds 3] [--rounds 3] [--pin-client] [--output docs/benchmark-results-gateway.md]
//       (the in-process limits, then direct to inference vs through the gateway with Redis and PostgreSQL, the gateway's
//        CPU per request, and cache hits; --pin-client: the load generator on a core of its own; see GatewayBenchmark)
//   dotnet run -c Release --project AiFactory.Benchmarks -- --soak [--minutes 10] [--load 0.8] [--warmup-minutes 1] [--replicas 2] [--output docs/reliability.md]
//       (the whole stack at a share of its measured capacity, with a mix of keys, models, cache hits and 1 % hostile
//        requests: errors, memory growth and usage against requests sent; see Soak/SoakBenchmark)
//   dotnet run -c Release --project AiFactory.Benchmarks -- --evaluate [--seed 12] [--lines 300] [--pages 20]
//       [--save-samples <folder>] [--output <file>]
//       (task accuracy of the OCR sample models on the generated evaluation set; see EvaluationBenchmark)
//   dotnet run -c Release --project AiFactory.Benchmarks -- --optimize [--seconds 1.5] [--rounds 3] [--seed 12] [--lines 300] [--pages 20]
//       [--node-price 0.40] [--output docs/optimization.md]
//       (every transform on each OCR sample model beside its FP32 parent; --output replaces that section of the file;
//        see Optimization/OptimizationBenchmark)
//   dotnet run -c Release --project AiFactory.Benchmarks -- --analyze [--p95 50] [--seconds-per-point 1] [--output docs/optimization.md]
//       (the analyzer on the classifier against its shipped config; writes only the file's "## Analyzer" section; see AnalyzerBenchmark)
var seconds = double.Parse(Argument("--seconds") ?? "3");
var output = Argument("--output");
var provider = Argument("--provider");
if (provider is not (null or "auto" or "cuda" or "tensorrt" or "cpu"))
{
    throw new ArgumentException($"--provider {provider}: not one of auto, cuda, tensorrt, cpu");
}

var cudnnConvAlgoSearch = Argument("--cudnn-conv-algo-search");
if (cudnnConvAlgoSearch is not (null or "exhaustive" or "heuristic" or "default"))
{
    throw new ArgumentException($"--cudnn-conv-algo-search {cudnnConvAlgoSearch}: not one of exhaustive, heuristic, default");
}

var protocols = Argument("--protocols")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
if (protocols?.FirstOrDefault(p => p is not ("JSON" or "binary" or "gRPC")) is { } unknown)
{
    throw new ArgumentException($"--protocols: {unknown} is not one of JSON, binary, gRPC");
}

var settings = new BenchmarkSettings(int.Parse(Argument("--intra-op-threads") ?? "0"), int.Parse(Argument("--instances") ?? "1"), provider,
    cudnnConvAlgoSearch, protocols, args.Contains("--cuda-graphs"));
var detection = args.Contains("--detection") ? Paths.Model("text-detection") : null;
if (args.Contains("--soak"))
{
    var soak = await SoakBenchmark.RunAsync(SoakSettings.Parse(Argument), $"dotnet run -c Release --project AiFactory.Benchmarks -- {string.Join(' ', args)}");
    await WriteAsync(SoakReport.ToMarkdown(soak));
    return;
}

if (args.Contains("--evaluate"))
{
    var defaults = new OcrSetOptions();
    var evaluation = EvaluationBenchmark.Run(new OcrSetOptions
    {
        Seed = int.Parse(Argument("--seed") ?? defaults.Seed.ToString()),
        Lines = int.Parse(Argument("--lines") ?? defaults.Lines.ToString()),
        Pages = int.Parse(Argument("--pages") ?? defaults.Pages.ToString()),
    }, settings, Argument("--save-samples"));
    Console.WriteLine(evaluation);
    if (output is not null)
    {
        await File.WriteAllTextAsync(output, evaluation);
        Console.WriteLine($"written to {output}");
    }

    return;
}

if (args.Contains("--analyze"))
{
    var section = await AnalyzerBenchmark.RunAsync(double.Parse(Argument("--p95") ?? "50", System.Globalization.CultureInfo.InvariantCulture),
        double.Parse(Argument("--seconds-per-point") ?? "1", System.Globalization.CultureInfo.InvariantCulture),
        $"dotnet run -c Release --project AiFactory.Benchmarks -- {string.Join(' ', args)}");
    Console.WriteLine(section);
    if (output is not null)
    {
        await File.WriteAllTextAsync(output, AnalyzerBenchmark.Replace(File.Exists(output) ? await File.ReadAllTextAsync(output) : "", section));
        Console.WriteLine($"written to the section {AnalyzerBenchmark.Heading} of {output}");
    }

    return;
}

if (args.Contains("--optimize"))
{
    await OptimizeAsync();
    return;
}

if (args.Contains("--gateway"))
{
    await RunGatewayAsync();
    return;
}

var rounds = int.Parse(Argument("--rounds") ?? "1");
var report = new Report(seconds, rounds, settings);

var model = Paths.Model("text-direction");
Console.WriteLine($"model {model}, {Environment.ProcessorCount} cores, {seconds} s per measurement");

InProcessBenchmark.Run(model, settings, TimeSpan.FromSeconds(seconds), report);

await using (var server = await ServerProcess.StartAsync(model, settings, detection))
{
    report.ServedProviders = await server.ProvidersAsync();
    Console.WriteLine($"served on {report.ServedProviders}");
    await ServerBenchmark.RunAsync(server, settings, TimeSpan.FromSeconds(seconds), rounds, report);
    if (detection is not null)
    {
        await ServerBenchmark.RunDetectionAsync(server, 640, TimeSpan.FromSeconds(seconds), report);
    }
}

await WriteAsync(report.ToMarkdown());

async Task RunGatewayAsync()
{
    var limits = InProcessBenchmark.Run(Paths.Model("text-direction"), settings, TimeSpan.FromSeconds(seconds), new Report(seconds, 1, settings));
    await using var server = await ServerProcess.StartAsync(Paths.Model("text-direction"), settings, Paths.Model("text-detection"));
    await using var gateway = await GatewayStack.StartAsync([server]);
    await WriteAsync(await GatewayBenchmark.RunAsync(server, gateway, limits, TimeSpan.FromSeconds(seconds), int.Parse(Argument("--rounds") ?? "3"),
        args.Contains("--pin-client")));
}

async Task OptimizeAsync()
{
    var defaults = new OcrSetOptions();
    var optimizeSeconds = double.Parse(Argument("--seconds") ?? "1.5", CultureInfo.InvariantCulture);
    var rounds = int.Parse(Argument("--rounds") ?? "3");
    // Console:Cost:CpuNodeHourPrice's default (AiFactory.Dashboard/Cost/CostOptions.cs); the console's appsettings sets none.
    var nodePrice = decimal.Parse(Argument("--node-price") ?? "0.40", CultureInfo.InvariantCulture);
    var variants = OptimizationBenchmark.Run(new OcrSetOptions
    {
        Seed = int.Parse(Argument("--seed") ?? defaults.Seed.ToString()),
        Lines = int.Parse(Argument("--lines") ?? defaults.Lines.ToString()),
        Pages = int.Parse(Argument("--pages") ?? defaults.Pages.ToString()),
    }, TimeSpan.FromSeconds(optimizeSeconds), rounds, provider);
    var section = OptimizationReport.ToMarkdown(variants, $"dotnet run -c Release --project AiFactory.Benchmarks -- {string.Join(' ', args)}",
        nodePrice, "USD", optimizeSeconds, rounds, [1, 8, 32]);
    Console.WriteLine(section);
    if (output is not null)
    {
        var document = File.Exists(output) ? await File.ReadAllTextAsync(output) : "";
        await File.WriteAllTextAsync(output, OptimizationReport.ReplaceSection(document, section));
        Console.WriteLine($"written to {output}");
    }
}

async Task WriteAsync(string markdown)
{
    Console.WriteLine(markdown);
    if (output is not null)
    {
        await File.WriteAllTextAsync(output, markdown);
        Console.WriteLine($"written to {output}");
    }
}

string? Argument(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
