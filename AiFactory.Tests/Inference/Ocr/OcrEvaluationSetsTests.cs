using AiFactory.Evaluation.Ocr;
using AiFactory.Inference.Ocr;
using AiFactory.Inference.Optimization;
using AiFactory.Inference.Validation;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace AiFactory.Tests.Inference.Ocr;

/// <summary>
/// One dictionary setting and one rendering of the default set per replica: validation and calibration take the start
/// of the same set; a calibration seed of the operator's own gets a set of its own.
/// </summary>
public sealed class OcrEvaluationSetsTests
{
    public static readonly string DictionaryPath = Path.Combine(RepositoryPaths.Models, OcrModels.Recognition, OcrModels.DictionaryFileName);

    /// <summary>The replica's sets as the service registers them, from these options.</summary>
    public static OcrEvaluationSets Sets(string? dictionary, ValidationOptions? validation = null, OptimizationOptions? optimization = null) =>
        new(Options.Create(new OcrOptions { RecognitionDictionary = dictionary }),
            Options.Create(validation ?? new ValidationOptions()), Options.Create(optimization ?? new OptimizationOptions()));

    [Fact]
    public void Validation_and_calibration_take_their_sizes_from_one_rendering_of_the_default_seed()
    {
        var sets = Sets(DictionaryPath, new ValidationOptions { TaskLines = 3, TaskPages = 2 }, new OptimizationOptions { CalibrationLines = 5, CalibrationPages = 1 });

        var validation = sets.ForValidation().Set!;
        var calibration = sets.ForCalibration().Set!;

        Assert.Equal((3, 2), (validation.Lines.Count, validation.Pages.Count));
        Assert.Equal((5, 1), (calibration.Lines.Count, calibration.Pages.Count));
        // The very same rendered samples: the set was made once, at 5 lines and 2 pages.
        Assert.All(validation.Lines.Zip(calibration.Lines), pair => Assert.Same(pair.First, pair.Second));
        Assert.Same(validation.Pages[0], calibration.Pages[0]);
        Assert.Same(validation.Lines[0], sets.ForValidation().Set!.Lines[0]);
    }

    [Fact]
    public void A_calibration_seed_of_its_own_renders_its_own_set_and_leaves_validations_alone()
    {
        var sets = Sets(DictionaryPath, new ValidationOptions { TaskLines = 3, TaskPages = 1 }, new OptimizationOptions { CalibrationSeed = 7, CalibrationLines = 3, CalibrationPages = 1 });

        var validation = sets.ForValidation().Set!;
        var calibration = sets.ForCalibration().Set!;

        Assert.Equal((OcrSetOptions.DefaultSeed, 7), (validation.Seed, calibration.Seed));
        Assert.NotEqual(validation.Lines.Select(line => line.Text), calibration.Lines.Select(line => line.Text));
    }

    [Theory]
    [InlineData(null, "the recognizer's dictionary is not configured (Ocr:RecognitionDictionary): the evaluation set draws its characters from it")]
    [InlineData("/nonexistent/ppocr_keys_v1.txt", "the recognizer's dictionary /nonexistent/ppocr_keys_v1.txt (Ocr:RecognitionDictionary) does not exist")]
    public void Without_the_dictionary_neither_use_has_a_set_and_both_say_why_naming_the_one_setting(string? dictionary, string reason)
    {
        var sets = Sets(dictionary);

        Assert.Equal((null, reason), (sets.ForValidation().Set, sets.ForValidation().Unavailable));
        Assert.Equal((null, reason), (sets.ForCalibration().Set, sets.ForCalibration().Unavailable));
    }
}
