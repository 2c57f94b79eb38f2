using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AiFactory.Tests.Inference.Protocol;

/// <summary>
/// The inference core without a server or a protocol: an <see cref="InferenceCall"/> goes in, an
/// <see cref="InferenceResult"/> or an <see cref="InferenceError"/> comes out, on a real ONNX Runtime model
/// (<c>in_fp32</c> → <c>out_fp32</c>, dims fixed to [2], <c>max_batch_size</c> 8). A declaration the model cannot take
/// is refused before the call's data is decoded.
/// </summary>
public sealed class InferenceServiceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("aifactory-core-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly LoadedModel _model;
    private readonly InferenceService _service;

    public InferenceServiceTests()
    {
        var path = Path.Combine(_directory, "model.onnx");
        File.WriteAllBytes(path, OnnxModelWriter.Identity("FP32"));
        var config = new ModelConfig { MaxBatchSize = 8, Inputs = [new InputConfig { Name = "in_fp32", Dims = [2] }] };
        var sessions = new SessionFactory(NullLogger<SessionFactory>.Instance).Open(path, config, "identity", "1");
        _model = new LoadedModel("identity", "1", sessions, config, new InferenceMetrics(_services.GetRequiredService<IMeterFactory>()),
            NullLogger.Instance, TimeProvider.System);
        var repository = new ModelRepository();
        repository.Set(ModelVersionEntry.Ready(_model));
        _service = new InferenceService(repository, Options.Create(new InferenceOptions()));
    }

    [Fact]
    public async Task A_call_runs_on_the_model_it_names_and_is_counted_by_its_items()
    {
        float[] values = [1, 2, 3, 4, 5, 6];

        var result = await _service.InferAsync(Call("identity", [3, 2], new RawInputData(Bytes(values))), CancellationToken.None);

        Assert.Equal(("identity", "1"), (result.ModelName, result.ModelVersion));
        var output = Assert.Single(result.Outputs);
        Assert.Equal(("out_fp32", "FP32"), (output.Name, output.Datatype));
        Assert.Equal([3L, 2], output.Shape);
        Assert.Equal(values, MemoryMarshal.Cast<byte, float>(output.Data.Span).ToArray());
        Assert.Equal(3, _model.Statistics.InferenceCount);
        Assert.Equal(1, _model.Statistics.ExecutionCount);
    }

    [Fact]
    public async Task An_unknown_model_is_not_found_by_its_name()
    {
        var error = await Assert.ThrowsAsync<InferenceError>(() =>
            _service.InferAsync(Call("no-such-model", [1, 2], new RawInputData(Bytes([1, 2]))), CancellationToken.None));

        Assert.Equal(InferenceErrorKind.NotFound, error.Kind);
        Assert.Equal("unknown model 'no-such-model'", error.Message);
    }

    /// <summary>The attack: a small request that declares a huge or ill-fitting tensor, hoping the server allocates for it.</summary>
    [Theory]
    [InlineData(new long[] { 1, 3 }, "input 'in_fp32': shape [1,3] does not match the model's [-1,2] at dimension 1")]
    [InlineData(new long[] { 9, 2 }, "batch size 9 is outside 1..8 (max_batch_size of model 'identity')")]
    [InlineData(new long[] { 1_000_000_000, 2 }, "input 'in_fp32': shape [1000000000,2] holds 2000000000 elements, more than the limit of 67108864")]
    public async Task A_declaration_the_model_cannot_take_is_refused_before_its_data_is_decoded(long[] shape, string expected)
    {
        var data = new CountingData();

        var error = await Assert.ThrowsAsync<InferenceError>(() => _service.InferAsync(Call("identity", shape, data), CancellationToken.None));

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(expected, error.Message);
        Assert.Equal(0, data.Decoded);
        Assert.Equal(0, _model.Statistics.InferenceCount);
    }

    [Fact]
    public async Task Raw_data_shorter_than_its_declared_shape_is_refused_naming_both_sizes()
    {
        var error = await Assert.ThrowsAsync<InferenceError>(() =>
            _service.InferAsync(Call("identity", [4, 2], new RawInputData(Bytes([1, 2]))), CancellationToken.None));

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.Equal("input 'in_fp32': 8 bytes of binary data, but shape [4,2] of FP32 needs 32", error.Message);
    }

    private static InferenceCall Call(string model, long[] shape, IInputData data) =>
        new(model, null, [new CallInput("in_fp32", "FP32", shape, data)], null, null);

    private static byte[] Bytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public void Dispose()
    {
        _model.Retire();
        _services.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Input data that only counts how often the core asked for it.</summary>
    private sealed class CountingData : IInputData
    {
        public int Decoded { get; private set; }

        public ReadOnlyMemory<byte> Decode(TensorSpec spec, long[] shape, long elementCount)
        {
            Decoded++;
            return new byte[elementCount * 4];
        }
    }
}
