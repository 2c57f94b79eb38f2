using System.Diagnostics;
using System.Globalization;
using System.Text;
using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;
using AiFactory.Evaluation.Text;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiFactory.Benchmarks;

/// <summary>
/// Task accuracy of the OCR sample models on the generated evaluation set (<c>--evaluate</c>): the baselines an
/// optimized version is compared with. Runs each model in this process, with the session options the server uses.
/// </summary>
public static class EvaluationBenchmark
{
    public static string Run(OcrSetOptions options, BenchmarkSettings settings, string? samplesFolder)
    {
        var dictionary = RecognitionDictionary.Load(Path.Combine(Paths.Root, "models", OcrModels.Recognition, OcrModels.DictionaryFileName));
        var clock = Stopwatch.StartNew();
        var set = OcrEvaluationSet.Generate(options, dictionary);
        Console.WriteLine($"evaluation set: seed {set.Seed}, {set.Lines.Count} lines, {set.Pages.Count} pages " +
                          $"({set.Pages.Sum(page => page.Lines.Count)} lines on them), generated in {clock.Elapsed.TotalSeconds:F1} s");
        if (samplesFolder is not null)
        {
            SaveSamples(set, samplesFolder);
        }

        var factory = new SessionFactory(NullLogger<SessionFactory>.Instance);
        var config = new ModelConfig { IntraOpThreads = settings.IntraOpThreads };
        if (settings.Provider is not null)
        {
            config.ExecutionProvider = settings.Provider;
        }

        var text = new StringBuilder();
        var chinese = set.Lines.Count(line => line.Font.Script == OcrScript.Chinese);
        var threads = settings.IntraOpThreads == 0 ? "default" : settings.IntraOpThreads.ToString(CultureInfo.InvariantCulture);
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Evaluation set: seed {set.Seed}, {set.Lines.Count} lines ({chinese} Chinese, {set.Lines.Count - chinese} Latin), {set.Pages.Count} pages of " +
            $"{OcrEvaluationSet.PageSize}×{OcrEvaluationSet.PageSize} with {set.Pages.Sum(page => page.Lines.Count)} lines; FP32 models in ONNX Runtime, " +
            $"intra_op_threads {threads}, execution_provider {settings.Provider ?? "auto"}. Samples: lines; for boxes, predicted boxes (precision) or true boxes (recall, F1).");
        text.AppendLine();
        text.AppendLine("| model | metric | value | samples |");
        text.AppendLine("|---|---|---|---|");

        foreach (var model in new[] { OcrModels.Direction, OcrModels.Recognition, OcrModels.Detection })
        {
            var (session, provider) = factory.Create(Paths.Model(model), config);
            using (session)
            {
                var report = OcrTaskEvaluation.Measure(OcrModels.TaskOf(model)!.Value, OnnxModelRun.For(session), set, dictionary);
                foreach (var (metric, index) in report.Metrics.Select((metric, index) => (metric, index)))
                {
                    Row(text, index == 0 ? $"{model} ({provider})" : "", metric.Name, metric.Value, metric.Samples);
                }

                foreach (var (reference, prediction) in report.Mistakes)
                {
                    Console.WriteLine($"{model} mistake: '{reference}' read as '{prediction}'");
                }
            }
        }

        Console.WriteLine($"evaluated in {clock.Elapsed.TotalSeconds:F1} s");
        return text.ToString();
    }

    private static void Row(StringBuilder text, string model, string metric, double value, int samples) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {model} | {metric} | {value:0.0000} | {samples} |");

    /// <summary>PNGs of the first lines and pages, with their labels, to look at what the models are given.</summary>
    private static void SaveSamples(OcrEvaluationSet set, string folder)
    {
        Directory.CreateDirectory(folder);
        var labels = new StringBuilder();
        foreach (var (line, index) in set.Lines.Take(20).Select((line, index) => (line, index)))
        {
            File.WriteAllBytes(Path.Combine(folder, $"line-{index:000}.png"), line.Image.ToPng());
            labels.AppendLine(CultureInfo.InvariantCulture, $"line-{index:000}.png\t{line.Font.Name}\t{line.Text}");
        }

        foreach (var (page, index) in set.Pages.Take(3).Select((page, index) => (page, index)))
        {
            File.WriteAllBytes(Path.Combine(folder, $"page-{index:000}.png"), page.Image.ToPng());
            foreach (var line in page.Lines)
            {
                labels.AppendLine(CultureInfo.InvariantCulture, $"page-{index:000}.png\t{line.Font.Name}\t{line.Box}\t{line.Text}");
            }
        }

        File.WriteAllText(Path.Combine(folder, "labels.tsv"), labels.ToString());
        Console.WriteLine($"samples written to {folder}");
    }
}
