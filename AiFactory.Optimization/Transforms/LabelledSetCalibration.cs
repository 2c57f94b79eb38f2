using AiFactory.Evaluation.Labelled;
using AiFactory.Evaluation.Running;

namespace AiFactory.Optimization.Transforms;

/// <summary>
/// A model's own labelled set as calibration data (INT8 static): each sample's inputs, one batch per sample, as the
/// set gives them. The expected outputs play no part: calibration needs activations, not labels.
/// </summary>
public static class LabelledSetCalibration
{
    /// <summary>The set's inputs as FP32 batches, named for the lineage by <paramref name="source"/>.</summary>
    /// <exception cref="TransformRefusedException">An input that is not FP32 (calibration measures FP32 activations), naming the sample and input.</exception>
    public static CalibrationData From(LabelledSet set, string source)
    {
        var batches = new List<IReadOnlyDictionary<string, FloatTensor>>(set.Samples.Count);
        for (var i = 0; i < set.Samples.Count; i++)
        {
            var batch = new Dictionary<string, FloatTensor>(StringComparer.Ordinal);
            foreach (var input in set.Samples[i].Inputs)
            {
                if (input.Datatype != "FP32" || input.Floats is not { } values)
                {
                    throw new TransformRefusedException(
                        $"the labelled set's sample {i} input '{input.Name}' is {input.Datatype}: only FP32 inputs can calibrate a model (quantization measures FP32 activations)");
                }

                batch[input.Name!] = new FloatTensor(Array.ConvertAll(values, value => (float)value), Array.ConvertAll(input.Shape, dimension => checked((int)dimension)));
            }

            batches.Add(batch);
        }

        return new CalibrationData(source, batches);
    }
}
