using AiFactory.Inference.Repository;

namespace AiFactory.Tests.Inference;

public sealed class ModelConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("aifactory-config-").FullName;

    private string Write(string json)
    {
        var path = Path.Combine(_directory, ModelConfig.FileName);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_missing_file_gives_the_defaults()
    {
        var config = ModelConfig.Load(Path.Combine(_directory, "absent.json"));

        Assert.Equal(0, config.MaxBatchSize);
        Assert.Equal(ExecutionProvider.Auto, config.Provider);
    }

    [Fact]
    public void Fields_are_read_with_their_protocol_names()
    {
        var config = ModelConfig.Load(Write("""{ "max_batch_size": 32, "execution_provider": "CPU" }"""));

        Assert.Equal(32, config.MaxBatchSize);
        Assert.Equal(ExecutionProvider.Cpu, config.Provider);
    }

    [Theory]
    [InlineData("""{ "execution_provider": "gpu" }""", "'execution_provider' 'gpu' is not one of auto, cuda, tensorrt, cpu")]
    [InlineData("""{ "execution_provider": "1" }""", "'execution_provider' '1' is not one of")]
    [InlineData("""{ "max_batch_size": -1 }""", "'max_batch_size' must be 0 or more, not -1")]
    [InlineData("""{ "max_batch_size": "eight" }""", "'$.max_batch_size'")]
    [InlineData("""{ "max_batch_sise": 8 }""", "max_batch_sise")]
    [InlineData("""{ "max_batch_size": 8 """, "'$")]
    [InlineData("null", "'$' the file must hold a JSON object")]
    public void Invalid_files_name_the_file_and_the_field(string json, string expected)
    {
        var path = Write(json);

        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.Load(path));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
