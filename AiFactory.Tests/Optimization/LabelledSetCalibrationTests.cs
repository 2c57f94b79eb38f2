using AiFactory.Optimization;
using AiFactory.Optimization.Transforms;
using AiFactory.Tests.Evaluation;

namespace AiFactory.Tests.Optimization;

/// <summary>A model's own labelled set as INT8 static calibration data: its inputs, one batch per sample.</summary>
public sealed class LabelledSetCalibrationTests
{
    [Fact]
    public void Each_sample_becomes_one_batch_of_its_FP32_inputs_by_name_with_their_shapes()
    {
        var set = LabelledSetTests.Parse("""
            { "metric": "argmax_accuracy", "output": "y", "samples": [
              { "inputs": [ { "name": "x", "datatype": "FP32", "shape": [2, 2], "data": [[0.5, -1.25], [3, 4]] },
                            { "name": "z", "datatype": "FP32", "shape": [2], "data": [7, 8] } ],
                "expected": { "datatype": "INT64", "shape": [2], "data": [0, 1] } },
              { "inputs": [ { "name": "x", "datatype": "FP32", "shape": [1, 2], "data": [9, 10] },
                            { "name": "z", "datatype": "FP32", "shape": [1], "data": [11] } ],
                "expected": { "datatype": "INT64", "shape": [1], "data": [1] } } ] }
            """);

        var calibration = LabelledSetCalibration.From(set, "labelled set of version 3");

        Assert.Equal("labelled set of version 3", calibration.Source);
        Assert.Equal(2, calibration.Batches.Count);
        Assert.Equal([0.5f, -1.25f, 3f, 4f], calibration.Batches[0]["x"].Data);
        Assert.Equal([2, 2], calibration.Batches[0]["x"].Shape);
        Assert.Equal([7f, 8f], calibration.Batches[0]["z"].Data);
        Assert.Equal([9f, 10f], calibration.Batches[1]["x"].Data);
        Assert.Equal([1, 2], calibration.Batches[1]["x"].Shape);
        Assert.Equal([1], calibration.Batches[1]["z"].Shape);
    }

    [Theory]
    [InlineData("INT64", "[1, 2]")]
    [InlineData("FP64", "[1.5, 2]")]
    [InlineData("UINT8", "[1, 2]")]
    public void An_input_that_is_not_FP32_is_refused_naming_the_sample_and_input(string datatype, string data)
    {
        var set = LabelledSetTests.Parse($$"""
            { "metric": "exact_match", "output": "y", "samples": [
              { "inputs": [ { "name": "x", "datatype": "FP32", "shape": [2], "data": [1, 2] } ], "expected": { "datatype": "FP32", "shape": [2], "data": [1, 2] } },
              { "inputs": [ { "name": "ids", "datatype": "{{datatype}}", "shape": [2], "data": {{data}} } ], "expected": { "datatype": "FP32", "shape": [2], "data": [1, 2] } } ] }
            """);

        var refused = Assert.Throws<TransformRefusedException>(() => LabelledSetCalibration.From(set, "labelled set"));

        Assert.Equal($"the labelled set's sample 1 input 'ids' is {datatype}: only FP32 inputs can calibrate a model (quantization measures FP32 activations)", refused.Message);
    }
}
