using AiFactory.Inference.Validation;
using AiFactory.Tests.Infrastructure;
using AiFactory.Tests.Inference.Ocr;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Tests.Inference;

/// <summary>
/// Validation's task metrics where the OCR evaluation set cannot be made: the report says why and nothing else
/// changes (no problem added, so the validation's outcome is what the model alone decides).
/// </summary>
public sealed class ValidationTaskMetricsTests
{
    [Theory]
    [InlineData(null, "the recognizer's dictionary is not configured (Ocr:RecognitionDictionary): the evaluation set draws its characters from it")]
    [InlineData("/nonexistent/ppocr_keys_v1.txt", "the recognizer's dictionary /nonexistent/ppocr_keys_v1.txt (Ocr:RecognitionDictionary) does not exist")]
    public void Without_the_dictionary_an_OCR_models_report_says_why_its_task_metrics_were_not_measured(string? dictionary, string reason)
    {
        var meter = new TaskMetricsMeter(OcrEvaluationSetsTests.Sets(dictionary));
        using var session = new InferenceSession(RepositoryPaths.Model(SampleModels.TextDirection));
        var problems = new List<string>();

        var task = meter.Measure(SampleModels.TextDirection, session, session, 1, problems);

        Assert.Equal((SampleModels.TextDirection, reason), (task!.Task, task.Skipped));
        Assert.Null(task.Candidate);
        Assert.Empty(problems);
    }

    [Fact]
    public void A_model_that_is_not_an_OCR_sample_has_no_task_metrics()
    {
        var meter = new TaskMetricsMeter(OcrEvaluationSetsTests.Sets(null));
        using var session = new InferenceSession(OnnxModelWriter.Identity("FP32"));

        Assert.Null(meter.Measure("my-model", session, null, null, []));
    }

    [Fact]
    public void A_model_named_like_a_sample_that_cannot_run_the_set_is_reported_not_failed()
    {
        var meter = new TaskMetricsMeter(OcrEvaluationSetsTests.Sets(OcrEvaluationSetsTests.DictionaryPath, new ValidationOptions { TaskLines = 2, TaskPages = 1 }));
        // Two inputs: not the classifier's one image tensor.
        using var session = new InferenceSession(OnnxModelWriter.Identity("FP32", "INT64"));
        var problems = new List<string>();

        var task = meter.Measure(SampleModels.TextDirection, session, null, null, problems);

        Assert.StartsWith("the candidate cannot run the OCR evaluation set (seed 12, 2 lines, 1 pages): ", task!.Skipped);
        Assert.Null(task.Candidate);
        Assert.Empty(problems);
    }
}
