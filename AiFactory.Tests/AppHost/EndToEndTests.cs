using System.Net;
using System.Runtime.InteropServices;
using AiFactory.Inference.Grpc.Protocol;
using Aspire.Hosting.Testing;
using Google.Protobuf;
using Grpc.Net.Client;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Evaluation.Metrics;
using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;
using AiFactory.Tests.Evaluation;
using AiFactory.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Tests.AppHost;

/// <summary>The whole application as F5 starts it, used the way a client uses it: through the gateway.</summary>
[Collection(AppHostCollection.Name)]
public sealed class EndToEndTests(AppHostFixture fixture)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Direction_classifier_through_the_gateway_returns_probabilities_equal_to_in_process_onnx_runtime()
    {
        long[] shape = [3, 3, 48, 192];
        var image = SampleModels.RandomImage(seed: 7, 3, 3, 48, 192);
        using var gateway = fixture.CreateGatewayClient();

        var request = new JsonObject
        {
            ["id"] = "e2e-1",
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = SampleModels.TextDirectionInput,
                ["datatype"] = "FP32",
                ["shape"] = new JsonArray([.. shape.Select(d => JsonValue.Create(d))]),
                ["data"] = new JsonArray([.. image.Select(v => JsonValue.Create(v))]),
            }),
        };
        using var response = await gateway.PostAsJsonAsync($"/v2/models/{SampleModels.TextDirection}/infer", request).WaitAsync(RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(RequestTimeout));
        Assert.Equal("e2e-1", body.RootElement.GetProperty("id").GetString());
        Assert.Equal(SampleModels.TextDirection, body.RootElement.GetProperty("model_name").GetString());
        var output = Assert.Single(body.RootElement.GetProperty("outputs").EnumerateArray());
        Assert.Equal(SampleModels.TextDirectionOutput, output.GetProperty("name").GetString());
        Assert.Equal("FP32", output.GetProperty("datatype").GetString());
        Assert.Equal([3L, 2L], output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));

        var served = output.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        for (var row = 0; row < 3; row++)
        {
            Assert.InRange(served[2 * row] + served[2 * row + 1], 1 - 1e-4, 1 + 1e-4);
        }

        var expected = OnnxReference.Run(RepositoryPaths.Model(SampleModels.TextDirection), SampleModels.TextDirectionInput, image, shape,
            SampleModels.TextDirectionOutput);
        Assert.Equal(expected.Length, served.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - served[i]) <= 1e-5, $"element {i}: served {served[i]}, in-process {expected[i]}");
        }
    }

    [Fact]
    public async Task Recognizer_through_the_gateway_reads_rendered_lines_as_in_process_onnx_runtime_does()
    {
        var dictionary = OcrEvaluationSetTests.Dictionary;
        var set = OcrEvaluationSet.Generate(new OcrSetOptions { Lines = 8, Pages = 0 }, dictionary);
        var input = LineTensor.Create([.. set.Lines.Select(line => line.Image)], LineTensor.RecognitionWidth);
        using var gateway = fixture.CreateGatewayClient();

        using var response = await gateway.PostAsync($"/v2/models/{SampleModels.TextRecognition}/infer",
            OipRequests.BinaryFp32("x", [.. input.Shape.Select(d => (long)d)], input.Data)).WaitAsync(RequestTimeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (json, binary) = await OipRequests.ReadAsync(response).WaitAsync(RequestTimeout);
        var output = Assert.Single(json["outputs"]!.AsArray())!;
        // 40 time steps at the served width of 320, one score per class of the dictionary.
        Assert.Equal([8L, 40L, dictionary.ClassCount], output["shape"]!.AsArray().Select(d => d!.GetValue<long>()));
        var served = CtcGreedyDecoder.Decode(
            new FloatTensor(OipRequests.Floats(json, binary, output["name"]!.GetValue<string>()), [8, 40, dictionary.ClassCount]), dictionary);

        using var session = new InferenceSession(RepositoryPaths.Model(SampleModels.TextRecognition));
        Assert.Equal(CtcGreedyDecoder.Decode(OnnxModelRun.For(session)(input), dictionary), served);
        var accuracy = new CharacterAccuracy();
        foreach (var (line, text) in set.Lines.Zip(served))
        {
            accuracy.Add(RecognitionEvaluation.WithoutSpaces(line.Text), RecognitionEvaluation.WithoutSpaces(text));
        }

        Assert.True(accuracy.Accuracy >= 0.95, $"character accuracy {accuracy.Accuracy:F3} (floor 0.95): "
            + string.Join("; ", set.Lines.Zip(served).Select(pair => $"'{pair.First.Text}' read as '{pair.Second}'")));
    }

    [Fact]
    public async Task Inference_serves_grpc_on_the_endpoint_the_apphost_declares()
    {
        using var channel = GrpcChannel.ForAddress(fixture.App.GetEndpoint(AppHostFixture.InferenceReplicas[0], "grpc"));
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var deadline = DateTime.UtcNow.Add(RequestTimeout);
        Assert.True((await client.ServerReadyAsync(new ServerReadyRequest(), deadline: deadline)).Ready);

        var image = SampleModels.RandomImage(seed: 9, 1, 3, 48, 192);
        var request = new ModelInferRequest { ModelName = SampleModels.TextDirection };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = SampleModels.TextDirectionInput, Datatype = "FP32", Shape = { 1, 3, 48, 192 } });
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(image.AsSpan())));
        var response = await client.ModelInferAsync(request, deadline: deadline);

        var probabilities = MemoryMarshal.Cast<byte, float>(response.RawOutputContents.Single().Span).ToArray();
        Assert.Equal([1L, 2L], response.Outputs.Single().Shape);
        Assert.InRange(probabilities.Sum(), 1 - 1e-4, 1 + 1e-4);
    }

    [Fact]
    public async Task Gateway_reports_every_sample_model_ready()
    {
        using var gateway = fixture.CreateGatewayClient();
        using var index = await gateway.PostAsync("/v2/repository/index", content: null).WaitAsync(RequestTimeout);
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        var models = JsonNode.Parse(await index.Content.ReadAsStringAsync())!.AsArray();
        foreach (var name in new[] { SampleModels.TextDetection, SampleModels.TextDirection, SampleModels.TextRecognition })
        {
            var entry = Assert.Single(models, model => model!["name"]!.GetValue<string>() == name);
            Assert.Equal("READY", entry!["state"]!.GetValue<string>());
        }

        // What the console shows of them, behind its sign-in, is ConsoleBrowserTests' (the overview's replicas).
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("inference-1")]
    [InlineData("inference-2")]
    [InlineData("dashboard")]
    public async Task Every_service_serves_health_and_liveness_and_metrics_on_its_management_port_only(string resource)
    {
        using var client = resource == "gateway" ? fixture.CreateGatewayClient() : fixture.CreateHttpClient(resource);
        foreach (var path in new[] { "/health", "/alive" })
        {
            using var response = await client.GetAsync(path).WaitAsync(RequestTimeout);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{resource}{path} answered {(int)response.StatusCode}");
        }

        using (var served = await client.GetAsync("/metrics").WaitAsync(RequestTimeout))
        {
            Assert.True(served.StatusCode == HttpStatusCode.NotFound, $"{resource} answered /metrics on its http port: {(int)served.StatusCode}");
        }

        using var management = new HttpClient { BaseAddress = fixture.App.GetEndpoint(resource, "management") };
        var metrics = await management.GetStringAsync("/metrics").WaitAsync(RequestTimeout);
        Assert.Contains("# TYPE", metrics);
    }

    [Fact]
    public async Task Inference_metrics_name_the_model_the_outcome_the_batch_and_the_provider()
    {
        using var gateway = fixture.CreateGatewayClient();
        gateway.DefaultRequestHeaders.CacheControl = new() { NoCache = true }; // inference must run it
        using var response = await gateway.PostAsync($"/v2/models/{SampleModels.TextDirection}/infer",
            OipRequests.Json(SampleModels.TextDirectionInput, [1, 3, 48, 192], SampleModels.RandomImage(seed: 11, 1, 3, 48, 192))).WaitAsync(RequestTimeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var metrics = new List<string>();
        foreach (var replica in AppHostFixture.InferenceReplicas)
        {
            using var management = new HttpClient { BaseAddress = fixture.App.GetEndpoint(replica, "management") };
            metrics.AddRange((await management.GetStringAsync("/metrics").WaitAsync(RequestTimeout)).Split('\n'));
        }

        const string model = $"model=\"{SampleModels.TextDirection}\"";
        Assert.Contains(metrics, line => line.StartsWith("aifactory_inference_requests_total{") && line.Contains(model) && line.Contains("outcome=\"success\""));
        foreach (var name in new[] { "aifactory_inference_request_duration_seconds_bucket{", "aifactory_inference_compute_duration_seconds_bucket{",
                     "aifactory_inference_batch_size_bucket{", "aifactory_inference_items_total{" })
        {
            Assert.Contains(metrics, line => line.StartsWith(name) && line.Contains(model));
        }

        Assert.Contains(metrics, line => line.StartsWith("aifactory_inference_queue_duration_seconds_bucket{"));
        Assert.Contains(metrics, line => line.StartsWith("aifactory_inference_models{") && line.Contains("provider=\"CPUExecutionProvider\"")
                                         && line.Contains("state=\"READY\""));
    }

    [Fact]
    public async Task Unknown_model_through_the_gateway_is_a_404_in_the_protocol_error_shape()
    {
        using var gateway = fixture.CreateGatewayClient();
        using var response = await gateway.PostAsync("/v2/models/no-such-model/infer", new StringContent("{}")).WaitAsync(RequestTimeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("unknown model 'no-such-model'", body["error"]!.GetValue<string>());
    }
}
