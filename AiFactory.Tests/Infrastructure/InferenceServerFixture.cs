using System.Net;
using AiFactory.Inference.Repository;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// The inference service in-process (any public type of its assembly names the entry point), over its own ASP.NET Core pipeline, with a model repository of real models
/// laid out for the tests in a temporary folder:
/// <list type="bullet">
/// <item><c>text-direction</c>: the classifier, batched (max 64, 2 ms delay), dims fixed to [3,48,192], warmed up.</item>
/// <item><c>text-direction-direct</c>: the same file without batching.</item>
/// <item><c>text-direction-small-queue</c>: batched with a 1 s delay and room for 2 queued items.</item>
/// <item><c>text-direction-small-bytes</c>: batched with a 5 s delay and room for 250,000 queued bytes (two images).</item>
/// <item><c>text-detection</c>: the detector, batched, variable height and width.</item>
/// <item><c>identity-&lt;datatype&gt;</c>: generated Identity models (<c>in_&lt;datatype&gt;</c> → <c>out_&lt;datatype&gt;</c>), one per datatype.</item>
/// <item><c>identity-mixed</c>: Identity for INT32 and FP64 side by side.</item>
/// </list>
/// </summary>
public sealed class InferenceServerFixture : IAsyncLifetime
{
    public const int MaxRequestBodyBytes = 8 * 1024 * 1024;

    private WebApplicationFactory<ModelRepository>? _factory;

    public string RepositoryPath { get; } = Directory.CreateTempSubdirectory("aifactory-models-").FullName;

    public HttpClient Http { get; private set; } = null!;

    public GrpcChannel Grpc { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        AddModel("text-direction", SampleModels.TextDirection, """
            { "max_batch_size": 64, "dynamic_batching": { "max_queue_delay_us": 2000 },
              "inputs": [ { "name": "x", "dims": [3, 48, 192] } ], "warmup": [1, 8] }
            """);
        AddModel("text-direction-direct", SampleModels.TextDirection, null);
        AddModel("text-direction-small-queue", SampleModels.TextDirection, """
            { "max_batch_size": 8, "dynamic_batching": { "max_queue_delay_us": 1000000, "max_queue_size": 2 } }
            """);
        AddModel("text-direction-small-bytes", SampleModels.TextDirection, """
            { "max_batch_size": 8, "dynamic_batching": { "max_queue_delay_us": 5000000, "max_queue_bytes": 250000 } }
            """);
        AddModel("text-detection", SampleModels.TextDetection, """
            { "max_batch_size": 8, "dynamic_batching": { "max_queue_delay_us": 5000 } }
            """);
        foreach (var datatype in OnnxModelWriter.ElementTypes.Keys)
        {
            await AddGeneratedModel($"identity-{datatype.ToLowerInvariant()}", OnnxModelWriter.Identity(datatype));
        }

        await AddGeneratedModel("identity-mixed", OnnxModelWriter.Identity("INT32", "FP64"));

        _factory = new WebApplicationFactory<ModelRepository>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ModelRepository:Path", RepositoryPath);
            web.UseSetting("ModelRepository:PollIntervalSeconds", "0");
            web.UseSetting("Inference:MaxRequestBodyBytes", MaxRequestBodyBytes.ToString());
            web.UseSetting("Inference:MaxElementsPerInput", (4 * 1024 * 1024).ToString());
        });
        Http = _factory.CreateClient();
        Grpc = GrpcChannel.ForAddress(Http.BaseAddress!, new GrpcChannelOptions
        {
            HttpHandler = _factory.Server.CreateHandler(),
            MaxReceiveMessageSize = null,
        });

        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            using var ready = await Http.GetAsync("/v2/health/ready");
            if (ready.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            await Task.Delay(200);
        }

        using var index = await Http.PostAsync("/v2/repository/index", null);
        throw new TimeoutException($"The inference server was not ready within 90 s: {await index.Content.ReadAsStringAsync()}");
    }

    private async Task AddGeneratedModel(string name, byte[] model)
    {
        var version = Directory.CreateDirectory(Path.Combine(RepositoryPath, name, "1")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(version, "model.onnx"), model);
    }

    private void AddModel(string name, string sample, string? config)
    {
        var version = Directory.CreateDirectory(Path.Combine(RepositoryPath, name, "1")).FullName;
        File.Copy(RepositoryPaths.Model(sample), Path.Combine(version, "model.onnx"));
        if (config is not null)
        {
            File.WriteAllText(Path.Combine(RepositoryPath, name, "config.json"), config);
        }
    }

    public async Task DisposeAsync()
    {
        Grpc?.Dispose();
        Http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        Directory.Delete(RepositoryPath, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class InferenceServerCollection : ICollectionFixture<InferenceServerFixture>
{
    public const string Name = "Inference server";
}
