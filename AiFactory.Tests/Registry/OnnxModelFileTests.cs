using AiFactory.Inference.Validation;
using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Registry;

/// <summary>Validation's first look at an upload: an ONNX model, something else, or a model cut short, and its opset.</summary>
public sealed class OnnxModelFileTests
{
    [Fact]
    public void The_sample_model_reads_with_its_ir_version_and_default_domain_opset()
    {
        // The PaddleOCR export declares IR 8 and opset 9, and no producer.
        Assert.Equal(new OnnxModelFile(8, null, null, 9), OnnxModelFile.Read(RepositoryPaths.Model(SampleModels.TextDirection)));
    }

    [Fact]
    public void A_generated_model_reads_with_the_opset_it_declares()
    {
        using var model = new TemporaryFile(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), ".onnx");

        Assert.Equal(new OnnxModelFile(OnnxModelWriter.IrVersion, OnnxModelWriter.Producer, null, OnnxModelWriter.Opset), OnnxModelFile.Read(model.Path));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_bytes_are_not_an_onnx_model(int seed)
    {
        var bytes = new byte[64 * 1024];
        new Random(seed).NextBytes(bytes);
        using var file = new TemporaryFile(bytes, ".onnx");

        var error = Assert.Throws<ModelFileException>(() => OnnxModelFile.Read(file.Path));

        Assert.StartsWith("not an ONNX model: ", error.Message);
    }

    [Fact]
    public void Text_is_not_an_onnx_model_and_the_message_says_where()
    {
        using var file = new TemporaryFile("this is not an ONNX model"u8.ToArray(), ".onnx");

        var error = Assert.Throws<ModelFileException>(() => OnnxModelFile.Read(file.Path));

        Assert.Equal("not an ONNX model: byte 0 starts protobuf field 14 with wire type 4, which an ONNX ModelProto does not have", error.Message);
    }

    [Fact]
    public void The_sample_model_cut_in_half_is_truncated_and_the_message_names_the_graph()
    {
        var whole = File.ReadAllBytes(RepositoryPaths.Model(SampleModels.TextDirection));
        using var file = new TemporaryFile(whole[..(whole.Length / 2)], ".onnx");

        var error = Assert.Throws<ModelFileException>(() => OnnxModelFile.Read(file.Path));

        Assert.Matches($@"^the file is truncated: field 'graph' at byte \d+ declares \d+ bytes, but only \d+ follow \(the file has {whole.Length / 2} bytes\)$", error.Message);
    }

    [Fact]
    public void An_empty_file_is_not_an_onnx_model()
    {
        using var file = new TemporaryFile([], ".onnx");

        Assert.Equal("not an ONNX model: the file is empty", Assert.Throws<ModelFileException>(() => OnnxModelFile.Read(file.Path)).Message);
    }
}
