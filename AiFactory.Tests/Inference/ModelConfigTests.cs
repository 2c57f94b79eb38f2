using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AiFactory.Tests.Inference;

public sealed class ModelConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("aifactory-config-").FullName;

    private string Write(string json)
    {
        var path = Path.Combine(_directory, ModelConfig.FileName);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_missing_file_gives_the_defaults()
    {
        var config = ModelConfig.Load(Path.Combine(_directory, "absent.json"));

        Assert.Equal(0, config.MaxBatchSize);
        Assert.Equal(ExecutionProvider.Auto, config.Provider);
    }

    [Fact]
    public void Fields_are_read_with_their_protocol_names()
    {
        var config = ModelConfig.Load(Write("""{ "max_batch_size": 32, "execution_provider": "CPU" }"""));

        Assert.Equal(32, config.MaxBatchSize);
        Assert.Equal(ExecutionProvider.Cpu, config.Provider);
    }

    [Theory]
    [InlineData("""{ "max_batch_size": 8, "dynamic_batching": { } }""", 1L << 30)]
    [InlineData("""{ "max_batch_size": 8, "dynamic_batching": { "max_queue_bytes": 4096 } }""", 4096L)]
    public void The_batch_queue_holds_a_gibibyte_unless_max_queue_bytes_says_otherwise(string json, long expected)
    {
        Assert.Equal(expected, ModelConfig.Load(Write(json)).DynamicBatching!.MaxQueueBytes);
    }

    [Theory]
    [InlineData("""{ }""", "exhaustive", "EXHAUSTIVE")]
    [InlineData("""{ "cudnn_conv_algo_search": "heuristic" }""", "heuristic", "HEURISTIC")]
    [InlineData("""{ "cudnn_conv_algo_search": "exhaustive" }""", "exhaustive", "EXHAUSTIVE")]
    [InlineData("""{ "cudnn_conv_algo_search": "default" }""", "default", "DEFAULT")]
    public void The_cudnn_convolution_search_is_exhaustive_unless_set(string json, string expected, string onnxRuntimeName)
    {
        var config = ModelConfig.Load(Write(json));

        Assert.Equal(expected, config.CudnnConvAlgoSearch);
        Assert.Equal(onnxRuntimeName, SessionFactory.CudnnConvAlgoSearch(config.CudnnConvAlgoSearch));
    }

    /// <summary>
    /// With the CUDA options set, <c>auto</c> still serves: on CUDA where it loads, else on the CPU with the reason
    /// logged (the build machine has no CUDA libraries, so there it is the fallback).
    /// </summary>
    [Theory]
    [InlineData("heuristic")]
    [InlineData("exhaustive")]
    public void Auto_with_a_cudnn_search_serves_on_cuda_or_falls_back_to_the_cpu(string search)
    {
        var model = Path.Combine(_directory, "model.onnx");
        File.WriteAllBytes(model, OnnxModelWriter.Identity("FP32"));
        var logger = new ListLogger();

        var (session, provider) = new SessionFactory(logger).Create(model, new ModelConfig { CudnnConvAlgoSearch = search });
        using var _ = session;

        Assert.Contains(provider, new[] { SessionFactory.CudaProvider, SessionFactory.CpuProvider });
        if (provider == SessionFactory.CpuProvider)
        {
            var warning = Assert.Single(logger.Lines, line => line.Level == LogLevel.Warning);
            Assert.StartsWith($"CUDA is not available for {model}, serving it on the CPU: ", warning.Message);
        }
    }

    [Theory]
    [InlineData("""{ "cudnn_conv_algo_search": "fast" }""", "'cudnn_conv_algo_search' 'fast' is not one of exhaustive, heuristic, default")]
    [InlineData("""{ "cudnn_conv_algo_search": "HEURISTIC" }""", "'cudnn_conv_algo_search' 'HEURISTIC' is not one of exhaustive, heuristic, default")]
    [InlineData("""{ "cudnn_conv_algo_search": 1 }""", "'$.cudnn_conv_algo_search'")]
    [InlineData("""{ "execution_provider": "gpu" }""", "'execution_provider' 'gpu' is not one of auto, cuda, tensorrt, cpu")]
    [InlineData("""{ "execution_provider": "1" }""", "'execution_provider' '1' is not one of")]
    [InlineData("""{ "max_batch_size": -1 }""", "'max_batch_size' must be 0 or more, not -1")]
    [InlineData("""{ "max_batch_size": "eight" }""", "'$.max_batch_size'")]
    [InlineData("""{ "max_batch_sise": 8 }""", "max_batch_sise")]
    [InlineData("""{ "max_batch_size": 8 """, "'$")]
    [InlineData("null", "'$' the file must hold a JSON object")]
    [InlineData("""{ "max_batch_size": 8, "dynamic_batching": { "max_queue_bytes": 0 } }""", "'dynamic_batching.max_queue_bytes' must be 1 or more, not 0")]
    [InlineData("""{ "max_batch_size": 8, "dynamic_batching": { "max_queue_bytes": -5 } }""", "'dynamic_batching.max_queue_bytes' must be 1 or more, not -5")]
    public void Invalid_files_name_the_file_and_the_field(string json, string expected)
    {
        var path = Write(json);

        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.Load(path));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed class ListLogger : ILogger<SessionFactory>
    {
        public List<(LogLevel Level, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
