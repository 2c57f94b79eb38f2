using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// Runs one fixed input shape as a CUDA graph (<c>config.json</c> <c>cuda_graphs</c>): the session has ONNX Runtime's
/// <c>enable_cuda_graph</c>, its inputs and outputs are bound once to device buffers of that shape (IOBinding), and
/// after ONNX Runtime has captured the graph every run copies the inputs in, replays it and copies the outputs out.
/// A replay launches the captured kernels as they are: no per-run kernel launches, no plan for the shape again.
/// </summary>
/// <remarks>
/// The buffers belong to the graph, so runs on one shape take turns. <see cref="Capture"/> checks the captured graph
/// against a plain session on the same input before the runner is used: a graph that reads stale inputs or writes
/// elsewhere would answer wrongly without any error.
/// </remarks>
public sealed class CudaGraphRunner : ISessionRunner
{
    /// <summary>ONNX Runtime captures on the run after its warm-up runs (two since 1.15); more do no harm.</summary>
    private const int RunsBeforeReplay = 4;

    private readonly InferenceSession _session;
    private readonly OrtAllocator _allocator;
    private readonly OrtIoBinding _binding;
    private readonly OrtValue[] _inputs;
    private readonly (string Name, OrtValue Value)[] _outputs;
    private readonly RunOptions _runOptions = new();
    private readonly Lock _turn = new();

    private CudaGraphRunner(InferenceSession session, ModelSignature signature, long[][] inputShapes, IReadOnlyList<Tensor> outputTemplates)
    {
        _session = session;
        _allocator = new OrtAllocator(session, new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default));
        _binding = session.CreateIoBinding();
        _inputs = new OrtValue[signature.Inputs.Count];
        for (var i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = OrtValue.CreateAllocatedTensorValue(_allocator, session.InputMetadata[signature.Inputs[i].Name].ElementDataType, inputShapes[i]);
            _binding.BindInput(signature.Inputs[i].Name, _inputs[i]);
        }

        _outputs = [.. outputTemplates.Select(output => (output.Name,
            OrtValue.CreateAllocatedTensorValue(_allocator, session.OutputMetadata[output.Name].ElementDataType, output.Shape)))];
        foreach (var (name, value) in _outputs)
        {
            _binding.BindOutput(name, value);
        }
    }

    /// <summary>
    /// Binds <paramref name="session"/> (created with <c>enable_cuda_graph</c>) to one shape, lets ONNX Runtime capture
    /// the graph, and checks a replay against <paramref name="reference"/>'s outputs for <paramref name="probe"/>.
    /// </summary>
    /// <param name="probe">Inputs of the shape, in the model's order, with values that tell a stale input apart.</param>
    /// <param name="reference">A plain session's outputs for the probe, every output in the model's order.</param>
    /// <exception cref="InvalidOperationException">The model cannot be captured, or the replay answers otherwise.</exception>
    public static CudaGraphRunner Capture(InferenceSession session, ModelSignature signature, IReadOnlyList<Tensor> probe, IReadOnlyList<Tensor> reference)
    {
        if (probe.Concat(reference).FirstOrDefault(tensor => Datatypes.ElementSize(tensor.Datatype) == 0) is { } text)
        {
            throw new InvalidOperationException($"cuda_graphs: '{text.Name}' is a BYTES tensor, which a CUDA graph cannot hold");
        }

        var runner = new CudaGraphRunner(session, signature, [.. probe.Select(input => input.Shape)], reference);
        try
        {
            var zeros = probe.Select(input => input with { Data = new byte[input.Data.Length] }).ToList();
            var outputNames = reference.Select(output => output.Name).ToList();
            for (var i = 0; i < RunsBeforeReplay; i++)
            {
                runner.Run(zeros, outputNames, out _);
            }

            var replayed = runner.Run(probe, outputNames, out _);
            if (Difference(reference, replayed) is { } difference)
            {
                throw new InvalidOperationException($"cuda_graphs: the captured graph answers otherwise than the plain session ({difference})");
            }

            return runner;
        }
        catch
        {
            runner.Dispose();
            throw;
        }
    }

    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, out RunTimings timings)
    {
        lock (_turn)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < inputs.Count; i++)
            {
                CudaRuntime.CopyToDevice(_inputs[i].GetTensorMutableRawData(), inputs[i].Data.Span);
            }

            var prepared = Stopwatch.GetTimestamp();
            _session.RunWithBinding(_runOptions, _binding);
            var ran = Stopwatch.GetTimestamp();
            var outputs = new Tensor[outputNames.Count];
            for (var i = 0; i < outputs.Length; i++)
            {
                var (name, value) = Array.Find(_outputs, output => output.Name == outputNames[i]);
                var info = value.GetTensorTypeAndShape();
                outputs[i] = new Tensor(name, Datatypes.FromOnnx(info.ElementDataType), info.Shape, CudaRuntime.CopyFromDevice(value.GetTensorMutableRawData()));
            }

            timings = new RunTimings(RunTimings.Nanoseconds(started, prepared), RunTimings.Nanoseconds(prepared, ran),
                RunTimings.Nanoseconds(ran, Stopwatch.GetTimestamp()));
            return outputs;
        }
    }

    /// <summary>Null when the outputs agree (floating point within 1e-3 absolute plus 1e-2 relative, others exactly), else where they differ.</summary>
    private static string? Difference(IReadOnlyList<Tensor> expected, IReadOnlyList<Tensor> actual)
    {
        for (var i = 0; i < expected.Count; i++)
        {
            var (want, got) = (expected[i], actual[i]);
            if (!want.Shape.SequenceEqual(got.Shape))
            {
                return $"'{want.Name}' has shape {Shapes.Format(got.Shape)}, not {Shapes.Format(want.Shape)}";
            }

            if (want.Datatype is not (Datatypes.Fp16 or Datatypes.Bf16 or Datatypes.Fp32 or Datatypes.Fp64))
            {
                if (!want.Data.Span.SequenceEqual(got.Data.Span))
                {
                    return $"'{want.Name}' differs";
                }

                continue;
            }

            for (var j = 0; j < want.ElementCount; j++)
            {
                var (w, g) = (Floating(want, j), Floating(got, j));
                if (!(Math.Abs(w - g) <= 1e-3 + 1e-2 * Math.Abs(w)))
                {
                    return $"'{want.Name}' element {j} is {g}, not {w}";
                }
            }
        }

        return null;
    }

    private static double Floating(Tensor tensor, long index)
    {
        var data = tensor.Data.Span;
        return tensor.Datatype switch
        {
            Datatypes.Fp16 => (double)BitConverter.ToHalf(data[(int)(index * 2)..]),
            Datatypes.Bf16 => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(data[(int)(index * 2)..]) << 16),
            Datatypes.Fp32 => BitConverter.ToSingle(data[(int)(index * 4)..]),
            _ => BitConverter.ToDouble(data[(int)(index * 8)..]),
        };
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var input in _inputs)
        {
            input?.Dispose();
        }

        foreach (var (_, value) in _outputs)
        {
            value?.Dispose();
        }

        _runOptions.Dispose();
        _allocator.Dispose();
        _session.Dispose();
    }
}
