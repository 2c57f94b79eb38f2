using System.Text.Json;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Protocol.Rest;
using AiFactory.Inference.Runtime;

namespace AiFactory.Tests.Inference;

public sealed class JsonTensorDataTests
{
    private static byte[] Decode(string json, long count) =>
        JsonTensorData.Decode("x", Datatypes.Fp32, System.Text.Encoding.UTF8.GetBytes(json), count);

    [Fact]
    public void Flat_and_nested_data_decode_to_the_same_row_major_bytes()
    {
        var flat = Decode("[1, 2.5, -3, 4]", 4);
        var nested = Decode("[[1, 2.5], [-3, 4]]", 4);

        Assert.Equal(flat, nested);
        Assert.Equal(new[] { 1f, 2.5f, -3f, 4f }, MemoryMarshalFloats(flat));
    }

    [Theory]
    [InlineData("[1, 2, 3]", 4, "input 'x': 'data' has 3 elements but the shape holds 4")]
    [InlineData("[1, 2, 3, 4, 5]", 4, "input 'x': 'data' has more elements than the shape holds (4)")]
    [InlineData("[1, \"two\", 3, 4]", 4, "input 'x': element 1 (\"two\") is not a valid FP32 value")]
    [InlineData("{\"a\": 1}", 1, "input 'x': 'data' must be an array")]
    public void Data_that_does_not_fit_the_shape_is_a_bad_request(string json, long count, string expected)
    {
        var error = Assert.Throws<InferenceError>(() => Decode(json, count));

        Assert.Equal(InferenceErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void Encoding_writes_a_flat_array_that_decodes_back_to_the_same_values()
    {
        var bytes = Decode("[0.125, -7, 3.4028235E+38]", 3);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            JsonTensorData.Encode(writer, new Tensor("y", Datatypes.Fp32, [3], bytes));
        }

        Assert.Equal(bytes, Decode(System.Text.Encoding.UTF8.GetString(stream.ToArray()), 3));
    }

    private static float[] MemoryMarshalFloats(byte[] bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
}
