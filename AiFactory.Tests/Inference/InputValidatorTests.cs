using AiFactory.Inference.Protocol;
using AiFactory.Inference.Runtime;

namespace AiFactory.Tests.Inference;

public sealed class InputValidatorTests
{
    private static readonly TensorSpec Image = new("x", Datatypes.Fp32, [-1, 3, -1, -1]);

    [Fact]
    public void A_matching_shape_returns_its_element_count() =>
        Assert.Equal(2L * 3 * 48 * 192, InputValidator.ValidateShape(Image, "FP32", [2, 3, 48, 192], long.MaxValue));

    [Theory]
    [InlineData("INT64", new long[] { 1, 3, 4, 4 }, "input 'x': datatype is 'INT64', the model expects FP32")]
    [InlineData("FP32", new long[] { 1, 3, 4 }, "input 'x': shape [1,3,4] has rank 3, the model expects [-1,3,-1,-1]")]
    [InlineData("FP32", new long[] { 1, 4, 4, 4 }, "input 'x': shape [1,4,4,4] does not match the model's [-1,3,-1,-1] at dimension 1")]
    [InlineData("FP32", new long[] { 1, 3, -4, 4 }, "input 'x': dimension 2 is negative (-4)")]
    [InlineData("FP32", new long[] { 4294967296, 3, 4294967296, 4294967296 }, "input 'x': shape [4294967296,3,4294967296,4294967296] overflows the element count")]
    [InlineData("FP32", new long[] { 1000, 3, 1000, 1000 }, "input 'x': shape [1000,3,1000,1000] holds 3000000000 elements, more than the limit of 1000000")]
    public void A_mismatch_is_a_bad_request_that_names_the_input_and_the_problem(string datatype, long[] shape, string expected)
    {
        var error = Assert.Throws<InferenceError>(() => InputValidator.ValidateShape(Image, datatype, shape, 1_000_000));

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void A_missing_shape_is_a_bad_request() =>
        Assert.Equal("input 'x': 'shape' is missing",
            Assert.Throws<InferenceError>(() => InputValidator.ValidateShape(Image, "FP32", null, 10)).Message);
}
