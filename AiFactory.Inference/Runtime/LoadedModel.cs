using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiFactory.Inference.Runtime;

/// <summary>One version of a model with its ONNX Runtime session; safe to run from many threads at once.</summary>
public sealed class LoadedModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Dictionary<string, TensorElementType> _elementTypes = [];

    public LoadedModel(string name, string version, InferenceSession session, string provider)
    {
        Name = name;
        Version = version;
        Provider = provider;
        _session = session;
        Inputs = Describe(session.InputMetadata);
        Outputs = Describe(session.OutputMetadata);
    }

    public string Name { get; }
    public string Version { get; }

    /// <summary>The execution provider the session runs on, e.g. <c>CPUExecutionProvider</c>.</summary>
    public string Provider { get; }

    public IReadOnlyList<TensorSpec> Inputs { get; }
    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>Runs the model. Inputs must already be validated against <see cref="Inputs"/>.</summary>
    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
    {
        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        var pins = new MemoryHandle[inputs.Count];
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                var input = inputs[i];
                names[i] = input.Name;
                pins[i] = input.Data.AsMemory().Pin();
                unsafe
                {
                    values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _elementTypes[input.Name],
                        input.Shape, (IntPtr)pins[i].Pointer, input.Data.Length);
                }
            }

            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, names, values, outputNames);
            var outputs = new Tensor[results.Count];
            for (var i = 0; i < results.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                outputs[i] = new Tensor(outputNames[i], Datatypes.FromOnnx(info.ElementDataType), info.Shape,
                    results[i].GetTensorDataAsSpan<byte>().ToArray());
            }

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

    public void Dispose() => _session.Dispose();

    private List<TensorSpec> Describe(IReadOnlyDictionary<string, NodeMetadata> metadata)
    {
        var specs = new List<TensorSpec>(metadata.Count);
        foreach (var (name, node) in metadata)
        {
            _elementTypes[name] = node.ElementDataType;
            specs.Add(new TensorSpec(name, Datatypes.FromOnnx(node.ElementDataType), [.. node.Dimensions.Select(d => (long)d)]));
        }

        return specs;
    }
}
