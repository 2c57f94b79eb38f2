using AiFactory.Evaluation.Ocr;
using AiFactory.Inference.Optimization;
using AiFactory.Optimization.Onnx;
using AiFactory.Optimization.Transforms;
using AiFactory.Tests.Infrastructure;
using AiFactory.Tests.Inference.Ocr;
using Microsoft.Extensions.Options;

namespace AiFactory.Tests.Inference.Optimization;

/// <summary>What a replica calibrates on: the OCR evaluation set for the OCR sample models, named with its seed; nothing otherwise.</summary>
public sealed class CalibrationSourceTests
{
    private static readonly string Dictionary = OcrEvaluationSetsTests.DictionaryPath;
    private static readonly ModelProto Classifier = OnnxModelFile.Read(File.ReadAllBytes(RepositoryPaths.Model(SampleModels.TextDirection)));

    [Fact]
    public void Int8_static_on_the_direction_classifier_calibrates_on_the_ocr_set_from_its_seed()
    {
        var source = Source(Dictionary, new OptimizationOptions { CalibrationSeed = 7, CalibrationLines = 4, CalibrationPages = 1 });

        var data = source.For("int8-static", OcrModels.Direction, Classifier, OptimizeRequest.DefaultCalibration);

        Assert.Equal("OCR evaluation set (seed 7, 4 lines)", data.Source);
        Assert.NotEmpty(data.Batches);
        Assert.All(data.Batches, batch => Assert.Equal(["x"], batch.Keys));
        Assert.All(data.Batches, batch => Assert.Equal([3, 48, 192], batch["x"].Shape[1..]));
        // The same seed, the same inputs.
        var again = source.For("int8-static", OcrModels.Direction, Classifier, OptimizeRequest.DefaultCalibration);
        Assert.Equal(data.Batches[0]["x"].Data, again.Batches[0]["x"].Data);
    }

    [Theory]
    [InlineData("graph", OcrModels.Direction, OptimizeRequest.DefaultCalibration)]
    [InlineData("int8-static", "my-classifier", OptimizeRequest.DefaultCalibration)]
    [InlineData("int8-static", OcrModels.Direction, OptimizeRequest.NoCalibration)]
    public void A_transform_that_does_not_calibrate_a_model_without_a_set_or_calibration_none_gets_none(string transform, string model, string choice)
    {
        var data = Source(Dictionary, new OptimizationOptions { CalibrationLines = 4, CalibrationPages = 1 })
            .For(transform, model, Classifier, choice);

        Assert.Same(CalibrationData.None, data);
    }

    [Fact]
    public void Without_the_recognizers_dictionary_the_ocr_models_have_none_and_the_source_says_why()
    {
        var data = Source("/nowhere/ppocr_keys_v1.txt", new OptimizationOptions())
            .For("int8-static", OcrModels.Direction, Classifier, OptimizeRequest.DefaultCalibration);

        Assert.True(data.IsEmpty);
        Assert.Equal("none: the recognizer's dictionary /nowhere/ppocr_keys_v1.txt (Ocr:RecognitionDictionary) does not exist", data.Source);
    }

    private static CalibrationSource Source(string dictionary, OptimizationOptions options) =>
        new(OcrEvaluationSetsTests.Sets(dictionary, optimization: options), Options.Create(options));
}
