using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using AiFactory.Inference.Protocol;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// Runs tensors on an ONNX Runtime session (safe from many threads at once), reading each input where it lies:
/// pinned, not copied.
/// </summary>
public sealed class SessionRunner(InferenceSession session, string modelName, string version) : ISessionRunner
{
    private readonly Dictionary<string, TensorElementType> _elementTypes =
        session.InputMetadata.ToDictionary(input => input.Key, input => input.Value.ElementDataType);

    public InferenceSession Session => session;

    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, out RunTimings timings)
    {
        var started = Stopwatch.GetTimestamp();
        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        var pins = new MemoryHandle[inputs.Count];
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                var input = inputs[i];
                names[i] = input.Name;
                var elementType = _elementTypes[input.Name];
                if (elementType == TensorElementType.String)
                {
                    values[i] = CreateStringTensor(input);
                    continue;
                }

                pins[i] = input.Data.Pin();
                unsafe
                {
                    values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, elementType,
                        input.Shape, (IntPtr)pins[i].Pointer, input.Data.Length);
                }
            }

            using var runOptions = new RunOptions();
            var prepared = Stopwatch.GetTimestamp();
            using var results = RunSession(runOptions, names, values, outputNames);
            var ran = Stopwatch.GetTimestamp();
            var outputs = new Tensor[results.Count];
            for (var i = 0; i < results.Count; i++)
            {
                outputs[i] = CopyOut(outputNames[i], results[i]);
            }

            timings = new RunTimings(RunTimings.Nanoseconds(started, prepared), RunTimings.Nanoseconds(prepared, ran),
                RunTimings.Nanoseconds(ran, Stopwatch.GetTimestamp()));
            return outputs;
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }

            foreach (var pin in pins)
            {
                pin.Dispose();
            }
        }
    }

    /// <summary>An output as a tensor with bytes of its own; ONNX strings become BYTES elements.</summary>
    internal static Tensor CopyOut(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var data = info.ElementDataType == TensorElementType.String
            ? ReadStringTensor(value, info.ElementCount)
            : value.GetTensorDataAsSpan<byte>().ToArray();
        return new Tensor(name, Datatypes.FromOnnx(info.ElementDataType), info.Shape, data);
    }

    /// <summary>
    /// Inputs reach ONNX Runtime only after validation against the metadata, so what it still refuses depends on
    /// the values or on shape rules the metadata cannot state (the detector wants sides that are multiples of 32):
    /// the client's to fix, so InvalidArgument naming the model and saying what ONNX Runtime said.
    /// </summary>
    private IDisposableReadOnlyCollection<OrtValue> RunSession(RunOptions options, string[] names, OrtValue[] values, IReadOnlyList<string> outputNames)
    {
        try
        {
            return session.Run(options, names, values, outputNames);
        }
        catch (OnnxRuntimeException e)
        {
            throw InferenceError.InvalidArgument($"model '{modelName}' version {version} cannot run this input: {e.Message}");
        }
    }

    private static OrtValue CreateStringTensor(Tensor input)
    {
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, input.Shape);
        var index = 0;
        foreach (var element in new BytesElements(input.Data.Span))
        {
            value.StringTensorSetElementAt(element, index++);
        }

        return value;
    }

    /// <summary>ONNX strings become BYTES elements: a 4-byte little-endian length, then the UTF-8 bytes.</summary>
    private static byte[] ReadStringTensor(OrtValue value, long count)
    {
        var buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < count; i++)
        {
            // ONNX Runtime hands out the element's UTF-8 bytes.
            var element = value.GetStringElementAsSpan((int)i);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), element.Length);
            buffer.Advance(4);
            buffer.Write(element);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public void Dispose() => session.Dispose();
}

/// <summary>Where one execution's time went, in nanoseconds (the statistics extension's compute_* figures).</summary>
public readonly record struct RunTimings(long InputNs, long InferNs, long OutputNs)
{
    /// <summary>The same execution with extra input preparation (joining a batch) counted in.</summary>
    public RunTimings WithInput(long extraNs) => this with { InputNs = InputNs + extraNs };

    /// <summary>
    /// Nanoseconds between two <see cref="Stopwatch"/> timestamps. In floating point: ticks × 10⁹ overflows a long
    /// after 9.2 s where the stopwatch counts nanoseconds, and a run under load can last that long.
    /// </summary>
    public static long Nanoseconds(long from, long to) => (long)((to - from) * (1e9 / Stopwatch.Frequency));
}
