using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiFactory.Evaluation.Labelled;

/// <summary>A labelled set's result: the metric's score over its samples (for max_abs_error also the mean).</summary>
public sealed record LabelledSetReport(LabelledMetric Metric, double Score, int Samples, double? MeanAbsError = null);

/// <summary>Runs a model on each sample of its labelled set (batch as given, in ONNX Runtime) and scores the output the set names.</summary>
public static class LabelledSetEvaluator
{
    public static LabelledSetReport Evaluate(InferenceSession session, LabelledSet set)
    {
        if (!session.OutputMetadata.ContainsKey(set.Output))
        {
            throw new LabelledSetException($"$.output: the model has no output '{set.Output}' (it has {string.Join(", ", session.OutputMetadata.Keys.Select(name => $"'{name}'"))})");
        }

        long correct = 0, rows = 0, matching = 0, elements = 0;
        double maxError = 0, errorSum = 0;
        for (var i = 0; i < set.Samples.Count; i++)
        {
            var sample = set.Samples[i];
            var (shape, output) = Run(session, sample, set.Output, i);
            var expected = sample.Expected;
            switch (set.Metric)
            {
                case LabelledMetric.ArgmaxAccuracy:
                    var classes = shape.Length > 0 ? shape[^1] : 0;
                    if (classes == 0 || !shape[..^1].SequenceEqual(expected.Shape))
                    {
                        throw Mismatch(i, shape, expected, "the output's shape less its last axis");
                    }

                    for (long row = 0; row < expected.ElementCount; row++)
                    {
                        correct += ArgMax(output, row * classes, classes) == expected[row] ? 1 : 0;
                    }

                    rows += expected.ElementCount;
                    break;
                case LabelledMetric.MaxAbsError:
                    if (!shape.SequenceEqual(expected.Shape))
                    {
                        throw Mismatch(i, shape, expected, "the output's shape");
                    }

                    for (long e = 0; e < expected.ElementCount; e++)
                    {
                        var error = Math.Abs(output[e] - Expected(expected, e));
                        maxError = Math.Max(maxError, double.IsNaN(error) ? double.PositiveInfinity : error);
                        errorSum += error;
                    }

                    elements += expected.ElementCount;
                    break;
                default:
                    var same = shape.SequenceEqual(expected.Shape);
                    for (long e = 0; same && e < expected.ElementCount; e++)
                    {
                        same = output[e] == Expected(expected, e);
                    }

                    matching += same ? 1 : 0;
                    break;
            }
        }

        return set.Metric switch
        {
            LabelledMetric.ArgmaxAccuracy => new LabelledSetReport(set.Metric, rows == 0 ? double.NaN : (double)correct / rows, set.Samples.Count),
            LabelledMetric.MaxAbsError => new LabelledSetReport(set.Metric, maxError, set.Samples.Count, elements == 0 ? double.NaN : errorSum / elements),
            _ => new LabelledSetReport(set.Metric, (double)matching / set.Samples.Count, set.Samples.Count),
        };
    }

    private static (long[] Shape, double[] Values) Run(InferenceSession session, LabelledSample sample, string output, int index)
    {
        try
        {
            using var results = session.Run([.. sample.Inputs.Select(Input)], [output]);
            var value = results[0];
            return value.Value switch
            {
                Tensor<float> t => (Shape(t.Dimensions), [.. t.Select(x => (double)x)]),
                Tensor<double> t => (Shape(t.Dimensions), [.. t]),
                Tensor<long> t => (Shape(t.Dimensions), [.. t.Select(x => (double)x)]),
                Tensor<int> t => (Shape(t.Dimensions), [.. t.Select(x => (double)x)]),
                Tensor<short> t => (Shape(t.Dimensions), [.. t.Select(x => (double)x)]),
                Tensor<sbyte> t => (Shape(t.Dimensions), [.. t.Select(x => (double)x)]),
                Tensor<byte> t => (Shape(t.Dimensions), [.. t.Select(x => (double)x)]),
                Tensor<bool> t => (Shape(t.Dimensions), [.. t.Select(x => x ? 1d : 0d)]),
                _ => throw new LabelledSetException($"$.output: '{output}' is of a type labelled sets cannot score ({value.ElementType})"),
            };
        }
        catch (OnnxRuntimeException e)
        {
            throw new LabelledSetException($"$.samples[{index}]: the model refused the sample's inputs: {e.Message}", e);
        }
    }

    private static long[] Shape(ReadOnlySpan<int> dimensions) => [.. dimensions.ToArray().Select(d => (long)d)];

    private static NamedOnnxValue Input(LabelledTensor tensor)
    {
        var shape = tensor.Shape.Select(d => checked((int)d)).ToArray();
        var name = tensor.Name!;
        return tensor.Datatype switch
        {
            "FP32" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(tensor.Floats!.Select(x => (float)x).ToArray(), shape)),
            "FP64" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<double>(tensor.Floats!, shape)),
            "INT64" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(tensor.Integers!, shape)),
            "INT32" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(tensor.Integers!.Select(x => (int)x).ToArray(), shape)),
            "INT16" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<short>(tensor.Integers!.Select(x => (short)x).ToArray(), shape)),
            "INT8" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<sbyte>(tensor.Integers!.Select(x => (sbyte)x).ToArray(), shape)),
            "UINT8" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<byte>(tensor.Integers!.Select(x => (byte)x).ToArray(), shape)),
            _ => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(tensor.Integers!.Select(x => x != 0).ToArray(), shape)),
        };
    }

    /// <summary>
    /// An expected value at its datatype's precision: an FP32 tensor's "0.1" is the float nearest 0.1 (the reader keeps
    /// values as doubles), so a model that outputs exactly what the set expects scores exactly.
    /// </summary>
    private static double Expected(LabelledTensor expected, long index) =>
        expected.Datatype == "FP32" ? (float)expected[index] : expected[index];

    private static long ArgMax(double[] values, long offset, long count)
    {
        var best = 0L;
        for (var i = 1L; i < count; i++)
        {
            if (values[offset + i] > values[offset + best])
            {
                best = i;
            }
        }

        return best;
    }

    private static LabelledSetException Mismatch(int index, long[] shape, LabelledTensor expected, string what) =>
        new($"$.samples[{index}].expected.shape: [{string.Join(", ", expected.Shape)}] must be {what}, and the model answered [{string.Join(", ", shape)}]");
}
