using AiFactory.Evaluation.Labelled;
using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;
using AiFactory.Inference.Ocr;
using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Transforms;
using Microsoft.Extensions.Options;

namespace AiFactory.Inference.Optimization;

/// <summary>
/// The inputs a transform calibrates on: the parent's own labelled set where it was uploaded with one (the user's own
/// data comes first); else, for the OCR sample models, their evaluation set, generated from a fixed seed at a bounded
/// size and preprocessed as their evaluation runs it; else none (a transform that needs them refuses with its reason).
/// </summary>
public sealed class CalibrationSource(OcrEvaluationSets sets, IOptions<OptimizationOptions> options)
{
    /// <summary>The transforms that run the parent on inputs (the others would only pay for generating them).</summary>
    public static readonly IReadOnlySet<string> Calibrating = new HashSet<string>(StringComparer.Ordinal) { "int8-static" };

    /// <summary>Whether <paramref name="transform"/> calibrates at all when <paramref name="choice"/> is asked: if not, nothing is read or generated.</summary>
    public static bool Needed(string transform, string choice) => Calibrating.Contains(transform) && choice != OptimizeRequest.NoCalibration;

    /// <summary>
    /// The calibration data for <paramref name="transform"/> on <paramref name="model"/> (its name in the registry) as
    /// <paramref name="choice"/> asks, from <paramref name="uploaded"/> (the parent's labelled set, read) when there is
    /// one: none for a transform that does not calibrate.
    /// </summary>
    /// <exception cref="AiFactory.Optimization.TransformRefusedException">The uploaded set has an input that is not FP32.</exception>
    public CalibrationData For(string transform, string model, ModelProto parent, string choice, LabelledSet? uploaded = null)
    {
        if (!Needed(transform, choice))
        {
            return CalibrationData.None;
        }

        if (uploaded is not null)
        {
            return LabelledSetCalibration.From(uploaded, $"the version's labelled set ({uploaded.Samples.Count} samples)");
        }

        if (OcrModels.TaskOf(model) is not { } task)
        {
            return CalibrationData.None;
        }

        var ocr = sets.ForCalibration();
        if (ocr.Set is not { } set)
        {
            return new CalibrationData($"none: {ocr.Unavailable}", []);
        }

        var settings = options.Value;
        var input = FirstInput(parent);
        var batches = OcrTaskEvaluation.CalibrationInputs(task, set)
            .Select(tensor => (IReadOnlyDictionary<string, FloatTensor>)new Dictionary<string, FloatTensor> { [input] = tensor })
            .ToList();
        var what = task == OcrTask.Detection ? $"{settings.CalibrationPages} pages" : $"{settings.CalibrationLines} lines";
        return new CalibrationData($"OCR evaluation set (seed {settings.CalibrationSeed}, {what})", batches);
    }

    // The OCR models take one image tensor; an initializer listed among the inputs (older exporters) is not one.
    private static string FirstInput(ModelProto model)
    {
        var initializers = model.Graph.Initializer.Select(tensor => tensor.Name).ToHashSet(StringComparer.Ordinal);
        return model.Graph.Input.First(input => !initializers.Contains(input.Name)).Name;
    }
}
