using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Tests.Infrastructure;
using Google.Protobuf;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Inference;

/// <summary>The Open Inference Protocol as clients use it: JSON, binary and gRPC give the numbers ONNX Runtime gives.</summary>
[Collection(InferenceServerCollection.Name)]
public sealed class ProtocolTests(InferenceServerFixture server)
{
    private static readonly long[] Shape = [4, 3, 48, 192];
    private static readonly float[] Image = SampleModels.RandomImage(seed: 11, 4, 3, 48, 192);
    private static readonly Lazy<float[]> Expected = new(() => OnnxReference.Run(
        RepositoryPaths.Model(SampleModels.TextDirection), "x", Image, Shape, SampleModels.TextDirectionOutput));

    [Theory]
    [InlineData("text-direction")]
    [InlineData("text-direction-direct")]
    public async Task Json_outputs_equal_in_process_onnx_runtime(string model)
    {
        using var response = await server.Http.PostAsync($"/v2/models/{model}/infer", Json("x", Shape, Image, id: "req-7"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (json, binary) = await ReadAsync(response);
        Assert.Equal("req-7", json["id"]!.GetValue<string>());
        Assert.Equal("1", json["model_version"]!.GetValue<string>());
        AssertClose(Expected.Value, Floats(json, binary, SampleModels.TextDirectionOutput));
    }

    [Fact]
    public async Task Binary_outputs_equal_in_process_onnx_runtime()
    {
        using var response = await server.Http.PostAsync("/v2/models/text-direction/infer", BinaryFp32("x", Shape, Image));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.MediaType);
        var (json, binary) = await ReadAsync(response);
        Assert.Equal(4 * 2 * 4, json["outputs"]![0]!["parameters"]!["binary_data_size"]!.GetValue<int>());
        Assert.Null(json["outputs"]![0]!["data"]);
        AssertClose(Expected.Value, Floats(json, binary, SampleModels.TextDirectionOutput));
    }

    [Fact]
    public async Task Grpc_outputs_equal_in_process_onnx_runtime()
    {
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(server.Grpc);
        var request = new ModelInferRequest { ModelName = "text-direction", Id = "grpc-1" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { Shape } });
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(Image.AsSpan())));

        var response = await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.Equal("grpc-1", response.Id);
        Assert.Equal([4L, 2L], response.Outputs.Single().Shape);
        AssertClose(Expected.Value, MemoryMarshal.Cast<byte, float>(response.RawOutputContents.Single().Span).ToArray());
    }

    [Fact]
    public async Task Grpc_typed_contents_are_accepted_like_raw_ones()
    {
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(server.Grpc);
        var request = new ModelInferRequest { ModelName = "text-direction-direct" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor
        {
            Name = "x", Datatype = "FP32", Shape = { Shape }, Contents = new InferTensorContents { Fp32Contents = { Image } },
        });

        var response = await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));

        AssertClose(Expected.Value, MemoryMarshal.Cast<byte, float>(response.RawOutputContents.Single().Span).ToArray());
    }

    [Fact]
    public async Task Grpc_metadata_and_health_answer()
    {
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(server.Grpc);

        Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = "text-direction" })).Ready);
        var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "text-direction" });
        Assert.Equal([-1L, 3, 48, 192], metadata.Inputs.Single().Shape);
        Assert.Contains("binary_tensor_data", (await client.ServerMetadataAsync(new ServerMetadataRequest())).Extensions);

        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "nope" }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, error.StatusCode);
        Assert.Equal("unknown model 'nope'", error.Status.Detail);
    }

    /// <summary>Every datatype through a real session (Identity), in binary over REST and raw over gRPC.</summary>
    [Theory]
    [InlineData("BOOL", new byte[] { 1, 0, 1, 1 })]
    [InlineData("UINT8", new byte[] { 0, 7, 200, 255 })]
    [InlineData("INT8", new byte[] { 0x80, 0xFF, 0, 0x7F })]
    [InlineData("UINT16", new byte[] { 1, 0, 0xFF, 0xFF, 3, 4, 5, 6 })]
    [InlineData("INT16", new byte[] { 0, 0x80, 0xFF, 0x7F, 3, 4, 5, 6 })]
    [InlineData("FP16", new byte[] { 0x00, 0x3C, 0x00, 0xC0, 0x55, 0x35, 0x00, 0x7C })]
    [InlineData("BF16", new byte[] { 0x80, 0x3F, 0x00, 0xC0, 0x49, 0x40, 0x80, 0xFF })]
    [InlineData("UINT32", new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 })]
    [InlineData("INT32", new byte[] { 1, 2, 3, 0x84, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 })]
    [InlineData("FP32", new byte[] { 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 0xDB, 0x0F, 0x49, 0x40, 0, 0, 0x80, 0x7F })]
    public async Task Every_fixed_size_datatype_round_trips_in_binary_and_over_grpc(string datatype, byte[] data)
    {
        var name = datatype.ToLowerInvariant();
        long[] shape = [2, 2];
        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = $"in_{name}", ["datatype"] = datatype, ["shape"] = new JsonArray(2, 2),
                ["parameters"] = new JsonObject { ["binary_data_size"] = data.Length },
            }),
            ["outputs"] = new JsonArray(new JsonObject { ["name"] = $"out_{name}", ["parameters"] = new JsonObject { ["binary_data"] = true } }),
        };
        using var response = await server.Http.PostAsync($"/v2/models/identity-{name}/infer", Binary(header, data));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (json, binary) = await ReadAsync(response);
        Assert.Equal(datatype, json["outputs"]![0]!["datatype"]!.GetValue<string>());
        Assert.Equal(data, binary[$"out_{name}"]);

        var client = new GRPCInferenceService.GRPCInferenceServiceClient(server.Grpc);
        var request = new ModelInferRequest { ModelName = $"identity-{name}", Outputs = { new ModelInferRequest.Types.InferRequestedOutputTensor { Name = $"out_{name}" } } };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = $"in_{name}", Datatype = datatype, Shape = { shape } });
        request.RawInputContents.Add(ByteString.CopyFrom(data));
        var grpc = await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(data, grpc.RawOutputContents.Single().ToByteArray());
    }

    [Fact]
    public async Task Bytes_round_trip_as_json_strings_binary_and_grpc()
    {
        var json = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "in_bytes", ["datatype"] = "BYTES", ["shape"] = new JsonArray(1, 3), ["data"] = new JsonArray("héllo", "", "wörld"),
            }),
            ["outputs"] = new JsonArray(new JsonObject { ["name"] = "out_bytes" }),
        };
        using var plain = await server.Http.PostAsync("/v2/models/identity-bytes/infer", new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var (plainJson, _) = await ReadAsync(plain);
        Assert.Equal(["héllo", "", "wörld"], plainJson["outputs"]![0]!["data"]!.AsArray().Select(v => v!.GetValue<string>()));

        var raw = LengthPrefixed("héllo", "", "wörld");
        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "in_bytes", ["datatype"] = "BYTES", ["shape"] = new JsonArray(1, 3),
                ["parameters"] = new JsonObject { ["binary_data_size"] = raw.Length },
            }),
            ["outputs"] = new JsonArray(new JsonObject { ["name"] = "out_bytes" }),
            ["parameters"] = new JsonObject { ["binary_data_output"] = true },
        };
        using var binary = await server.Http.PostAsync("/v2/models/identity-bytes/infer", Binary(header, raw));
        Assert.Equal(HttpStatusCode.OK, binary.StatusCode);
        Assert.Equal(raw, (await ReadAsync(binary)).Binary["out_bytes"]);

        var client = new GRPCInferenceService.GRPCInferenceServiceClient(server.Grpc);
        var request = new ModelInferRequest { ModelName = "identity-bytes", Outputs = { new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "out_bytes" } } };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor
        {
            Name = "in_bytes", Datatype = "BYTES", Shape = { 1, 3 },
            Contents = new InferTensorContents { BytesContents = { ByteString.CopyFromUtf8("héllo"), ByteString.Empty, ByteString.CopyFromUtf8("wörld") } },
        });
        var grpc = await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(raw, grpc.RawOutputContents.Single().ToByteArray());
    }

    [Theory]
    [InlineData("FP32", "[[1.5, -2], [0, 3.25]]", "[1.5,-2,0,3.25]")]
    [InlineData("FP64", "[1e-300, -2, 0, 3.25]", "[1E-300,-2,0,3.25]")]
    [InlineData("FP16", "[1, -2, 0.5, 65504]", "[1,-2,0.5,65504]")]
    [InlineData("BF16", "[1, -2, 0.5, 3.140625]", "[1,-2,0.5,3.140625]")]
    [InlineData("INT64", "[-9223372036854775808, 1, 2, 9223372036854775807]", "[-9223372036854775808,1,2,9223372036854775807]")]
    [InlineData("UINT64", "[0, 1, 2, 18446744073709551615]", "[0,1,2,18446744073709551615]")]
    [InlineData("INT8", "[-128, 1, 2, 127]", "[-128,1,2,127]")]
    [InlineData("UINT16", "[0, 1, 2, 65535]", "[0,1,2,65535]")]
    [InlineData("BOOL", "[true, false, [true, true]]", "[true,false,true,true]")]
    public async Task Every_datatype_round_trips_as_json_flat_or_nested(string datatype, string data, string expected)
    {
        var name = datatype.ToLowerInvariant();
        var body = $$"""{"inputs":[{"name":"in_{{name}}","datatype":"{{datatype}}","shape":[2,2],"data":{{data}}}],"outputs":[{"name":"out_{{name}}"}]}""";
        using var response = await server.Http.PostAsync($"/v2/models/identity-{name}/infer", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = (await ReadAsync(response)).Json["outputs"]!.AsArray().Single()!;
        Assert.Equal($"out_{name}", output["name"]!.GetValue<string>());
        Assert.Equal(expected, output["data"]!.ToJsonString());
    }

    [Fact]
    public async Task Only_the_requested_outputs_come_back_and_parameters_are_echoed()
    {
        var body = """
            {"id":"f","parameters":{"trace":"abc"},
             "inputs":[{"name":"in_int32","datatype":"INT32","shape":[1,2],"data":[1,2]},
                       {"name":"in_fp64","datatype":"FP64","shape":[1,1],"data":[0.5]}],
             "outputs":[{"name":"out_fp64"}]}
            """;
        using var response = await server.Http.PostAsync("/v2/models/identity-mixed/infer", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (mixed, _) = await ReadAsync(response);
        var output = Assert.Single(mixed["outputs"]!.AsArray())!;
        Assert.Equal("out_fp64", output["name"]!.GetValue<string>());
        Assert.Equal("[0.5]", output["data"]!.ToJsonString());
        Assert.Equal("f", mixed["id"]!.GetValue<string>());
        Assert.Equal("abc", mixed["parameters"]!["trace"]!.GetValue<string>());

        using var classified = await server.Http.PostAsync("/v2/models/text-direction/infer",
            Json("x", [1, 3, 48, 192], SampleModels.RandomImage(3, 1, 3, 48, 192), id: "f", parameters: new JsonObject { ["trace"] = "abc" }));
        var (json, _) = await ReadAsync(classified);
        Assert.Equal("abc", json["parameters"]!["trace"]!.GetValue<string>());
        Assert.Single(json["outputs"]!.AsArray());
    }

    [Fact]
    public async Task Statistics_account_for_every_request()
    {
        // Sequential requests of 4 items on the batched model: each is one execution of batch size 4.
        // (Other tests share the model, so the counts are compared as deltas within this collection's serial run.)
        var before = JsonNode.Parse(await server.Http.GetStringAsync("/v2/models/text-direction/versions/1/stats"))!["model_stats"]![0]!;
        for (var i = 0; i < 2; i++)
        {
            using var response = await server.Http.PostAsync("/v2/models/text-direction/infer", BinaryFp32("x", Shape, Image));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var after = JsonNode.Parse(await server.Http.GetStringAsync("/v2/models/text-direction/versions/1/stats"))!["model_stats"]![0]!;
        long Delta(params string[] path) => path.Aggregate(after, (node, key) => node![key]!)!.GetValue<long>()
                                            - path.Aggregate(before, (node, key) => node![key]!)!.GetValue<long>();
        Assert.Equal(8, Delta("inference_count"));
        Assert.Equal(2, Delta("execution_count"));
        Assert.Equal(2, Delta("inference_stats", "success", "count"));
        foreach (var phase in new[] { "compute_input", "compute_infer", "compute_output" })
        {
            Assert.Equal(2, Delta("inference_stats", phase, "count"));
            Assert.True(Delta("inference_stats", phase, "ns") > 0, $"{phase} recorded no time");
        }

        Assert.Contains(after["batch_stats"]!.AsArray(), entry => entry!["batch_size"]!.GetValue<int>() == 4);
        // The Prometheus metrics are served on the management endpoint only, which an in-process server has not:
        // AppHost/EndToEndTests reads them from the running application.
    }

    [Fact]
    public async Task Metadata_describes_the_model_with_its_configured_dims_and_provider()
    {
        var metadata = JsonNode.Parse(await server.Http.GetStringAsync("/v2/models/text-direction"))!;

        Assert.Equal("onnxruntime_onnx", metadata["platform"]!.GetValue<string>());
        Assert.Equal("[-1,3,48,192]", metadata["inputs"]![0]!["shape"]!.ToJsonString());
        Assert.Equal("[-1,2]", metadata["outputs"]![0]!["shape"]!.ToJsonString());
        Assert.Equal("CPUExecutionProvider", metadata["parameters"]!["execution_provider"]!.GetValue<string>());
        Assert.Equal("[\"1\"]", metadata["versions"]!.ToJsonString());

        var server_ = JsonNode.Parse(await server.Http.GetStringAsync("/v2"))!;
        Assert.Equal(["binary_tensor_data", "model_repository", "statistics"], server_["extensions"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/v2/models/text-direction/versions/1/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/v2/health/live")).StatusCode);
    }
}
