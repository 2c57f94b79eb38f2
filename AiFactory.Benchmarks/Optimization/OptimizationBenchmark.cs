using System.Diagnostics;
using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Optimization;
using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Transforms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Benchmarks.Optimization;

/// <summary>
/// <c>--optimize</c>: every transform of <see cref="ModelTransforms.All"/> on each OCR sample model, each output
/// beside its FP32 parent in one run: size, batch-1 latency, throughput by batch, drift and task accuracy on the
/// evaluation set, cost per 1,000 inferences. In-process ONNX Runtime through the server's <see cref="SessionFactory"/>
/// with the default model config (intra_op_threads 0: one thread per core; graph_optimization_level all). A model's
/// parent and children are timed in turn, round after round, and each figure is the median of its rounds, so a
/// burst of load on a shared machine falls on all of them rather than on one.
/// </summary>
public static class OptimizationBenchmark
{
    /// <summary>A sample model at its served shape (models/*/config.json) and the batch sizes measured.</summary>
    private sealed record SampleModel(string Name, int Height, int Width, int[] Batches);

    /// <summary>A parent or a transform's output, open for measuring.</summary>
    private sealed record Candidate(string? Transform, byte[] Bytes, double TransformSeconds, InferenceSession Session);

    private static readonly SampleModel[] Models =
    [
        new(OcrModels.Direction, 48, 192, [1, 8, 32]),
        new(OcrModels.Recognition, 48, 320, [1, 8, 32]),
        // 640×640 at batch 32 holds ~1.5 GB of activations and runs for tens of seconds per call on this machine:
        // batch 1 (the target) and 8 only.
        new(OcrModels.Detection, 640, 640, [1, 8]),
    ];

    public static IReadOnlyList<OptimizedVariant> Run(OcrSetOptions setOptions, TimeSpan duration, int rounds, string? provider)
    {
        var dictionary = RecognitionDictionary.Load(Path.Combine(Paths.Root, "models", OcrModels.Recognition, OcrModels.DictionaryFileName));
        var set = OcrEvaluationSet.Generate(setOptions, dictionary);
        var source = $"OCR evaluation set (seed {set.Seed}, {set.Lines.Count} lines, {set.Pages.Count} pages)";
        var config = new ModelConfig();
        if (provider is not null)
        {
            config.ExecutionProvider = provider;
        }

        var factory = new SessionFactory(NullLogger<SessionFactory>.Instance);
        var variants = new List<OptimizedVariant>();
        foreach (var model in Models)
        {
            var task = OcrModels.TaskOf(model.Name)!.Value;
            var parentBytes = File.ReadAllBytes(Paths.Model(model.Name));
            List<Candidate> candidates = [new(null, parentBytes, 0, Open(factory, config, parentBytes))];
            try
            {
                var calibration = new CalibrationData(source, [.. OcrTaskEvaluation.CalibrationInputs(task, set)
                    .Select(tensor => (IReadOnlyDictionary<string, FloatTensor>)new Dictionary<string, FloatTensor> { ["x"] = tensor })]);
                foreach (var transform in ModelTransforms.All.Values.OrderBy(transform => transform.Name, StringComparer.Ordinal))
                {
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        var result = transform.Apply(new TransformInput(parentBytes, OnnxModelFile.Read(parentBytes), TransformOptions.Default, calibration));
                        candidates.Add(new(transform.Name, result.Bytes, clock.Elapsed.TotalSeconds, Open(factory, config, result.Bytes)));
                        Console.WriteLine($"{model.Name} {transform.Name}: made in {clock.Elapsed.TotalSeconds:F1} s");
                    }
                    catch (TransformRefusedException refused)
                    {
                        variants.Add(new OptimizedVariant(model.Name, transform.Name, Refusal: refused.Message));
                        Console.WriteLine(variants[^1]);
                    }
                }

                var timings = Time(candidates, model, duration, rounds);
                var parent = candidates[0].Session;
                foreach (var (candidate, timing) in candidates.Zip(timings))
                {
                    var (headline, drift) = Accuracy(candidate.Session, candidate.Transform is null ? null : parent, task, set, dictionary);
                    variants.Add(new OptimizedVariant(model.Name, candidate.Transform, candidate.Bytes.LongLength, candidate.TransformSeconds,
                        timing.Batch1.P50Ms, timing.Batch1.P95Ms, timing.Throughput, drift, headline));
                    Console.WriteLine(variants[^1]);
                }
            }
            finally
            {
                candidates.ForEach(candidate => candidate.Session.Dispose());
            }
        }

        return variants;
    }

    /// <summary>Sessions are built from a file, as a replica loads a version.</summary>
    private static InferenceSession Open(SessionFactory factory, ModelConfig config, byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"aifactory-optimize-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        try
        {
            return factory.Create(path, config).Session;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Each candidate at each batch size, one caller, in turn for <paramref name="rounds"/> rounds; the median of each.</summary>
    private static List<(Measurement Batch1, Dictionary<int, double> Throughput)> Time(List<Candidate> candidates, SampleModel model, TimeSpan duration, int rounds)
    {
        var inputs = model.Batches.ToDictionary(batch => batch,
            batch => new FloatTensor(InProcessBenchmark.RandomFloats(batch * 3 * model.Height * model.Width, batch), [batch, 3, model.Height, model.Width]));
        var measured = candidates.Select(_ => model.Batches.ToDictionary(batch => batch, _ => new List<Measurement>())).ToList();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (candidate, byBatch) in candidates.Zip(measured))
            {
                var run = OnnxModelRun.For(candidate.Session);
                foreach (var (batch, input) in inputs)
                {
                    byBatch[batch].Add(Measurement.RunAsync(1, duration, () => Task.FromResult(run(input).Shape[0])).GetAwaiter().GetResult());
                }
            }

            Console.WriteLine($"{model.Name}: timing round {round + 1} of {rounds} done");
        }

        return [.. measured.Select(byBatch => (Measurement.Median(byBatch[1]),
            byBatch.ToDictionary(pair => pair.Key, pair => Measurement.Median(pair.Value).ItemsPerSecond)))];
    }

    /// <summary>The headline metric on the set and, beside a parent, the drift of the first output from the parent's on the same inputs.</summary>
    private static (TaskMetric Headline, (double Max, double Mean)? Drift) Accuracy(InferenceSession session, InferenceSession? parent, OcrTask task,
        OcrEvaluationSet set, RecognitionDictionary dictionary)
    {
        var run = OnnxModelRun.For(session);
        if (parent is null)
        {
            return (OcrTaskEvaluation.Measure(task, run, set, dictionary).Headline, null);
        }

        var drift = new DriftMeter();
        var parentRun = OnnxModelRun.For(parent);
        var headline = OcrTaskEvaluation.Measure(task, input =>
        {
            var answer = run(input);
            drift.Add(parentRun(input).Data, answer.Data);
            return answer;
        }, set, dictionary).Headline;
        return (headline, drift.Result);
    }
}
