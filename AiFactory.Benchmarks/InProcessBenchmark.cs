using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Benchmarks;

/// <summary>The physical limits: ONNX Runtime in this process, with the session options the server uses.</summary>
public static class InProcessBenchmark
{
    public sealed record Limits(double Ceiling, int CeilingBatch, double Unbatched, double Batch1P50Ms);

    public static Limits Run(string modelPath, BenchmarkSettings settings, TimeSpan duration, Report report)
    {
        var config = new ModelConfig { IntraOpThreads = settings.IntraOpThreads };
        if (settings.Provider is not null)
        {
            config.ExecutionProvider = settings.Provider;
        }

        if (settings.CudnnConvAlgoSearch is not null)
        {
            config.CudnnConvAlgoSearch = settings.CudnnConvAlgoSearch;
        }

        var (session, provider) = new SessionFactory(NullLogger<SessionFactory>.Instance).Create(modelPath, config);
        using var _ = session;
        report.Provider = provider;

        var best = (ItemsPerSecond: 0.0, Batch: 0);
        double batch1P50 = 0;
        foreach (var batch in new[] { 1, 2, 4, 8, 16, 32, 64 })
        {
            var input = Input(batch);
            var measured = Measurement.RunAsync(1, duration, () => Task.FromResult(RunOnce(session, input, batch))).GetAwaiter().GetResult();
            report.AddInProcess($"batch {batch}, 1 caller", measured);
            Console.WriteLine($"in-process batch {batch}: {measured.ItemsPerSecond:F0} items/s, p50 {measured.P50Ms:F2} ms");
            if (measured.ItemsPerSecond > best.ItemsPerSecond)
            {
                best = (measured.ItemsPerSecond, batch);
            }

            if (batch == 1)
            {
                batch1P50 = measured.P50Ms;
            }
        }

        var single = Input(1);
        var unbatched = Measurement.RunAsync(64, duration, () => Task.Run(() => RunOnce(session, single, 1))).GetAwaiter().GetResult();
        report.AddInProcess("batch 1, 64 concurrent callers", unbatched);
        Console.WriteLine($"in-process unbatched limit: {unbatched.ItemsPerSecond:F0} items/s");

        var limits = new Limits(best.ItemsPerSecond, best.Batch, unbatched.ItemsPerSecond, batch1P50);
        report.Limits = limits;
        return limits;
    }

    /// <summary><paramref name="batch"/> text-line images for the classifier (<c>[batch,3,48,192]</c>), random but the same for a seed.</summary>
    public static float[] Image(int batch, int? seed = null) => RandomFloats(batch * 3 * 48 * 192, seed ?? batch);

    /// <summary><paramref name="count"/> numbers in [0, 1), the same for the same <paramref name="seed"/>.</summary>
    public static float[] RandomFloats(int count, int seed)
    {
        var random = new Random(seed);
        var data = new float[count];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = random.NextSingle();
        }

        return data;
    }

    private static float[] Input(int batch) => Image(batch);

    private static int RunOnce(InferenceSession session, float[] input, int batch)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, [batch, 3, 48, 192]);
        using var options = new RunOptions();
        using var results = session.Run(options, ["x"], [value], ["softmax_0.tmp_0"]);
        return batch;
    }
}
