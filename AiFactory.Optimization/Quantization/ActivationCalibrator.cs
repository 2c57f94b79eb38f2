using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Transforms;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiFactory.Optimization.Quantization;

/// <summary>
/// Runs the parent on the calibration inputs and records the range of each named activation. ONNX Runtime returns
/// any value a graph output names (DESIGN.md §9), so a copy of the model lists the activations as outputs; each
/// batch's values are folded into an <see cref="ActivationRange"/> and released before the next batch runs.
/// </summary>
internal static class ActivationCalibrator
{
    public static IReadOnlyDictionary<string, ActivationRange> Collect(ModelProto model, IReadOnlyCollection<string> activations,
        CalibrationData calibration, bool histogram)
    {
        var copy = model.Clone();
        var outputs = copy.Graph.Output.Select(output => output.Name).ToHashSet(StringComparer.Ordinal);
        copy.Graph.Output.AddRange(activations.Where(outputs.Add).Select(name => new ValueInfoProto { Name = name }));
        var initializers = model.Graph.Initializer.Select(tensor => tensor.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = model.Graph.Input.Select(input => input.Name).Where(name => !initializers.Contains(name)).ToArray();
        var names = activations.ToArray();
        var ranges = names.ToDictionary(name => name, _ => new ActivationRange(histogram), StringComparer.Ordinal);

        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
            using var session = new InferenceSession(OnnxModelFile.Write(copy), options);
            using var runOptions = new RunOptions();
            foreach (var (batch, index) in calibration.Batches.Select((batch, index) => (batch, index)))
            {
                var values = Inputs(batch, index, inputs);
                try
                {
                    using var results = session.Run(runOptions, inputs, values, names);
                    foreach (var (name, value) in names.Zip(results))
                    {
                        if (value.GetTensorTypeAndShape().ElementDataType != TensorElementType.Float)
                        {
                            throw new TransformRefusedException($"the activation '{name}' is {value.GetTensorTypeAndShape().ElementDataType}, not FP32: int8-static quantizes FP32 models");
                        }

                        ranges[name].Add(value.GetTensorDataAsSpan<float>());
                    }
                }
                finally
                {
                    foreach (var value in values)
                    {
                        value.Dispose();
                    }
                }
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new TransformRefusedException($"ONNX Runtime could not run the model on the calibration inputs ({calibration.Source}): {e.Message}");
        }

        return ranges;
    }

    private static OrtValue[] Inputs(IReadOnlyDictionary<string, Evaluation.Running.FloatTensor> batch, int index, string[] inputs)
    {
        if (batch.Keys.FirstOrDefault(name => !inputs.Contains(name)) is { } unknown)
        {
            throw new TransformRefusedException($"calibration batch {index} names the input '{unknown}', which the model does not have: it has {string.Join(", ", inputs)}");
        }

        return [.. inputs.Select(name => batch.TryGetValue(name, out var tensor)
            ? OrtValue.CreateTensorValueFromMemory(tensor.Data, [.. tensor.Shape.Select(dimension => (long)dimension)])
            : throw new TransformRefusedException($"calibration batch {index} lacks the model's input '{name}'"))];
    }
}
