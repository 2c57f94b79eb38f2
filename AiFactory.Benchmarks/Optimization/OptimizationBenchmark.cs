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
/// with the default model config (intra_op_threads 0: one thread per core; graph_optimization_level all).
/// </summary>
public static class OptimizationBenchmark
{
    /// <summary>A sample model at its served shape (models/*/config.json) and the batch sizes measured.</summary>
    private sealed record SampleModel(string Name, int Height, int Width, int[] Batches);

    private static readonly SampleModel[] Models =
    [
        new(OcrModels.Direction, 48, 192, [1, 8, 32]),
        new(OcrModels.Recognition, 48, 320, [1, 8, 32]),
        // 640×640 at batch 32 holds ~1.5 GB of activations and runs for tens of seconds per call on this machine:
        // batch 1 (the target) and 8 only.
        new(OcrModels.Detection, 640, 640, [1, 8]),
    ];

    public static IReadOnlyList<OptimizedVariant> Run(OcrSetOptions setOptions, TimeSpan duration, string? provider)
    {
        var dictionary = RecognitionDictionary.Load(Path.Combine(Paths.Root, "models", OcrModels.Recognition, OcrModels.DictionaryFileName));
        var set = OcrEvaluationSet.Generate(setOptions, dictionary);
        var source = $"OCR evaluation set (seed {set.Seed}, {set.Lines.Count} lines, {set.Pages.Count} pages)";
        var config = new ModelConfig();
        if (provider is not null)
        {
            config.ExecutionProvider = provider;
        }

        var measurer = new VariantMeasurer(new SessionFactory(NullLogger<SessionFactory>.Instance), config, set, dictionary, duration);
        var variants = new List<OptimizedVariant>();
        foreach (var model in Models)
        {
            var task = OcrModels.TaskOf(model.Name)!.Value;
            var parentBytes = File.ReadAllBytes(Paths.Model(model.Name));
            using var parent = measurer.Open(parentBytes);
            variants.Add(measurer.Measure(model.Name, null, parentBytes, 0, parent, null, task, model.Height, model.Width, model.Batches));
            Console.WriteLine(variants[^1]);

            var calibration = new CalibrationData(source, [.. OcrTaskEvaluation.CalibrationInputs(task, set)
                .Select(tensor => (IReadOnlyDictionary<string, FloatTensor>)new Dictionary<string, FloatTensor> { ["x"] = tensor })]);
            foreach (var transform in ModelTransforms.All.Values.OrderBy(transform => transform.Name, StringComparer.Ordinal))
            {
                var clock = Stopwatch.StartNew();
                TransformResult result;
                try
                {
                    result = transform.Apply(new TransformInput(parentBytes, OnnxModelFile.Read(parentBytes), TransformOptions.Default, calibration));
                }
                catch (TransformRefusedException refused)
                {
                    variants.Add(new OptimizedVariant(model.Name, transform.Name, Refusal: refused.Message));
                    Console.WriteLine(variants[^1]);
                    continue;
                }

                using var candidate = measurer.Open(result.Bytes);
                variants.Add(measurer.Measure(model.Name, transform.Name, result.Bytes, clock.Elapsed.TotalSeconds, candidate, parent, task,
                    model.Height, model.Width, model.Batches));
                Console.WriteLine(variants[^1]);
            }
        }

        return variants;
    }

    /// <summary>Opens and measures one model; sessions are built from a temporary file, as a replica loads a version.</summary>
    private sealed class VariantMeasurer(SessionFactory factory, ModelConfig config, OcrEvaluationSet set, RecognitionDictionary dictionary, TimeSpan duration)
    {
        public InferenceSession Open(byte[] bytes)
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

        public OptimizedVariant Measure(string model, string? transform, byte[] bytes, double transformSeconds, InferenceSession session,
            InferenceSession? parent, OcrTask task, int height, int width, int[] batches)
        {
            var throughput = new Dictionary<int, double>();
            Measurement? batch1 = null;
            foreach (var batch in batches)
            {
                var input = new FloatTensor(InProcessBenchmark.RandomFloats(batch * 3 * height * width, batch), [batch, 3, height, width]);
                var run = OnnxModelRun.For(session);
                var measured = Measurement.RunAsync(1, duration, () => Task.FromResult(run(input).Shape[0])).GetAwaiter().GetResult();
                throughput[batch] = measured.ItemsPerSecond;
                batch1 ??= batch == 1 ? measured : null;
            }

            var drift = new DriftMeter();
            var candidateRun = OnnxModelRun.For(session);
            ModelRun measuredRun = parent is null ? candidateRun : Drifting(candidateRun, OnnxModelRun.For(parent), drift);
            var headline = OcrTaskEvaluation.Measure(task, measuredRun, set, dictionary).Headline;
            return new OptimizedVariant(model, transform, bytes.LongLength, transformSeconds, batch1?.P50Ms ?? double.NaN, batch1?.P95Ms ?? double.NaN,
                throughput, parent is null ? null : drift.Result, headline);
        }

        private static ModelRun Drifting(ModelRun candidate, ModelRun parent, DriftMeter drift) => input =>
        {
            var answer = candidate(input);
            drift.Add(parent(input).Data, answer.Data);
            return answer;
        };
    }
}
