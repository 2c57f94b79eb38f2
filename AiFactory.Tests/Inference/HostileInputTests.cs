using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Inference;

/// <summary>
/// Every class of bad input gets 400/404/413 with a message that names the input and the problem, never a 500,
/// and the server keeps serving afterwards.
/// </summary>
[Collection(InferenceServerCollection.Name)]
public sealed class HostileInputTests(InferenceServerFixture server)
{
    private const string Classifier = "/v2/models/text-direction/infer";
    private const string Detector = "/v2/models/text-detection/infer";

    public static TheoryData<string, string, int, string> JsonCases => new()
    {
        { Classifier, "{\"inputs\": [", 400, "malformed JSON at $.inputs" },
        { Classifier, "[]", 400, "malformed JSON at $" },
        { Classifier, "{}", 400, "'inputs' is missing or empty" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":"1,3","data":[0]}]}""", 400, "malformed JSON at $.inputs[0].shape: must be an array of integers" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3.5,1,1],"data":[0]}]}""", 400, "malformed JSON at $.inputs[0].shape: dimension 1 is not an integer" },
        { Detector, """{"inputs":[{"name":7}]}""", 400, "malformed JSON at $.inputs[0].name: " },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,1,1],"data":[0,0,0]}]} 42""", 400, "malformed JSON at $: " },
        { Classifier, """{"inputs":[{"name":"y","datatype":"FP32","shape":[1,3,48,192],"data":[0]}]}""", 400, "unknown input 'y'; model 'text-direction' takes x" },
        { Classifier, """{"inputs":[{"name":"x","datatype":"INT64","shape":[1,3,48,192],"data":[0]}]}""", 400, "input 'x': datatype is 'INT64', the model expects FP32" },
        { Classifier, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,48],"data":[0]}]}""", 400, "input 'x': shape [1,3,48] has rank 3, the model expects [-1,3,48,192]" },
        { Classifier, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,48,100],"data":[0]}]}""", 400, "input 'x': shape [1,3,48,100] does not match the model's [-1,3,48,192] at dimension 3" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,-32,32],"data":[0]}]}""", 400, "input 'x': dimension 2 is negative (-32)" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,4294967296,4294967296],"data":[0]}]}""", 400, "input 'x': shape [1,3,4294967296,4294967296] overflows the element count" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,2048,2048],"data":[0]}]}""", 400, "input 'x': shape [1,3,2048,2048] holds 12582912 elements, more than the limit of 4194304" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,32,32],"data":[1,2,3]}]}""", 400, "input 'x': 'data' has 3 elements but the shape holds 3072" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,1,1,1],"data":[0]}]}""", 400, "input 'x': shape [1,1,1,1] does not match the model's [-1,3,-1,-1] at dimension 1" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,1,1],"data":["a",1,1]}]}""", 400, "input 'x': element 0 (\"a\") is not a valid FP32 value" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[9,3,1,1],"data":[]}]}""", 400, "batch size 9 is outside 1..8 (max_batch_size of model 'text-detection')" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,1,1]}]}""", 400, "input 'x' has neither 'data' nor binary data" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,1,1],"data":[0,0,0]},{"name":"x","datatype":"FP32","shape":[1,3,1,1],"data":[0,0,0]}]}""", 400, "input 'x' is given more than once" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,1,1],"data":[0,0,0]}],"outputs":[{"name":"nope"}]}""", 400, "unknown output 'nope'; model 'text-detection' returns sigmoid_0.tmp_0" },
        { Detector, """{"parameters":{"timeout":"soon"},"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,1,1],"data":[0,0,0]}]}""", 400, "parameter 'timeout' must be a positive number of microseconds" },
        { "/v2/models/identity-int8/infer", """{"inputs":[{"name":"in_int8","datatype":"INT8","shape":[1,1],"data":[300]}]}""", 400, "input 'in_int8': element 0 (300) is not a valid INT8 value" },
        { "/v2/models/identity-bool/infer", """{"inputs":[{"name":"in_bool","datatype":"BOOL","shape":[1,1],"data":[1]}]}""", 400, "input 'in_bool': element 0 (1) is not a valid BOOL value" },
        { Detector, """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,33,33],"data":[PLACEHOLDER]}]}""".Replace("PLACEHOLDER", string.Join(',', Enumerable.Repeat("0", 3 * 33 * 33))), 400, "model 'text-detection' version 1 cannot run this input: " },
        { "/v2/models/no-such-model/infer", "{}", 404, "unknown model 'no-such-model'" },
        { "/v2/models/text-direction/versions/9/infer", "{}", 404, "unknown version '9' of model 'text-direction'" },
    };

    [Theory]
    [MemberData(nameof(JsonCases))]
    public async Task Bad_json_requests_are_refused_with_a_message_naming_the_problem(string path, string body, int status, string message)
    {
        using var response = await server.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.StartsWith(message, ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        await AssertStillServing();
    }

    public static TheoryData<int, int[], string> BinaryCases => new()
    {
        // binary_data_size claims more than the body holds
        { 3 * 4, [3 * 4 + 100], "input 'x': 'binary_data_size' is 112, but only 12 bytes of binary data remain" },
        // the right byte count for a different shape
        { 8, [8], "input 'x': 8 bytes of binary data, but shape [1,3,1,1] of FP32 needs 12" },
        // bytes left over after every input took its share
        { 16, [12], "the binary section holds 16 bytes, but the inputs' 'binary_data_size' add up to 12" },
    };

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public async Task Bad_binary_sizes_are_refused(int bytesSent, int[] claimed, string message)
    {
        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "x", ["datatype"] = "FP32", ["shape"] = new JsonArray(1, 3, 1, 1),
                ["parameters"] = new JsonObject { ["binary_data_size"] = claimed[0] },
            }),
        };
        using var response = await server.Http.PostAsync(Detector, Binary(header, new byte[bytesSent]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(message, ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        await AssertStillServing();
    }

    [Fact]
    public async Task A_bytes_element_whose_length_runs_past_the_data_is_refused()
    {
        var bad = new byte[] { 200, 0, 0, 0, (byte)'a' };
        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "in_bytes", ["datatype"] = "BYTES", ["shape"] = new JsonArray(1, 1),
                ["parameters"] = new JsonObject { ["binary_data_size"] = bad.Length },
            }),
        };
        using var response = await server.Http.PostAsync("/v2/models/identity-bytes/infer", Binary(header, bad));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("input 'in_bytes': BYTES element 0 claims 200 bytes, more than remain", ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("999999")]
    public async Task A_bad_header_length_is_refused(string length)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"inputs\":[]}"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add(HeaderLength, length);
        using var response = await server.Http.PostAsync(Detector, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"Inference-Header-Content-Length is '{length}', but must be a length between 0 and the body's 13 bytes",
            ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task An_oversized_body_is_413_whether_or_not_it_announces_its_length()
    {
        var huge = new string(' ', InferenceServerFixture.MaxRequestBodyBytes + 1);
        using var announced = await server.Http.PostAsync(Classifier, new StringContent(huge, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, announced.StatusCode);
        Assert.Equal($"the request body is larger than the limit of {InferenceServerFixture.MaxRequestBodyBytes} bytes",
            ErrorOf(await announced.Content.ReadAsStringAsync()).GetString());

        var streamed = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        streamed.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, Classifier) { Content = streamed };
        request.Headers.TransferEncodingChunked = true;
        using var chunked = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        await AssertStillServing();
    }

    [Fact]
    public async Task Bad_grpc_requests_get_the_matching_status_and_message()
    {
        var client = new AiFactory.Inference.Grpc.Protocol.GRPCInferenceService.GRPCInferenceServiceClient(server.Grpc);
        var request = new AiFactory.Inference.Grpc.Protocol.ModelInferRequest { ModelName = "text-detection" };
        request.Inputs.Add(new AiFactory.Inference.Grpc.Protocol.ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, 3, 32, 32 } });
        request.RawInputContents.Add(Google.Protobuf.ByteString.CopyFrom(new byte[100]));

        var wrongSize = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.ModelInferAsync(request));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, wrongSize.StatusCode);
        Assert.Equal("input 'x': 100 bytes of binary data, but shape [1,3,32,32] of FP32 needs 12288", wrongSize.Status.Detail);

        request.ModelName = "no-such-model";
        var unknown = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.ModelInferAsync(request));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, unknown.StatusCode);

        request.ModelName = "text-detection";
        request.RawInputContents.Add(Google.Protobuf.ByteString.Empty);
        var mismatch = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.ModelInferAsync(request));
        Assert.Equal("raw_input_contents has 2 entries for 1 inputs", mismatch.Status.Detail);
        await AssertStillServing();
    }

    public static TheoryData<string, string, Action<AiFactory.Inference.Grpc.Protocol.InferTensorContents>, string> TypedContentsCases => new()
    {
        // Counted before anything is expanded: element 2 is out of INT8's range, but the count is what is wrong first.
        { "identity-int8", "INT8", contents => contents.IntContents.Add([0, 0, 300]), "input 'in_int8': int_contents holds 3 values, but shape [1,1] holds 1" },
        // Far more values than the shape: refused by their count, not after a copy of every one of them.
        { "identity-fp32", "FP32", contents => contents.Fp32Contents.Add(new float[1_000_000]), "input 'in_fp32': fp32_contents holds 1000000 values, but shape [1,1] holds 1" },
        // The values in the field of another datatype.
        { "identity-fp32", "FP32", contents => contents.IntContents.Add(1), "input 'in_fp32': int_contents holds values, but FP32 values go in fp32_contents" },
        { "identity-bytes", "BYTES", contents => contents.Fp32Contents.Add(1), "input 'in_bytes': fp32_contents holds values, but BYTES values go in bytes_contents" },
        { "identity-bool", "BOOL", contents => contents.BoolContents.Add([true, false]), "input 'in_bool': bool_contents holds 2 values, but shape [1,1] holds 1" },
        { "identity-bytes", "BYTES", contents => contents.BytesContents.Add([Google.Protobuf.ByteString.Empty, Google.Protobuf.ByteString.Empty]), "input 'in_bytes': bytes_contents holds 2 values, but shape [1,1] holds 1" },
    };

    /// <summary>
    /// Attack: typed gRPC contents that do not fit the input, sent so the server expands them (a copy per value, up
    /// to eight bytes each for INT8) before noticing. They are counted against the shape and the datatype first.
    /// </summary>
    [Theory]
    [MemberData(nameof(TypedContentsCases))]
    public async Task Typed_grpc_contents_are_checked_against_the_input_before_they_are_expanded(
        string model, string datatype, Action<AiFactory.Inference.Grpc.Protocol.InferTensorContents> fill, string message)
    {
        var client = new AiFactory.Inference.Grpc.Protocol.GRPCInferenceService.GRPCInferenceServiceClient(server.Grpc);
        var contents = new AiFactory.Inference.Grpc.Protocol.InferTensorContents();
        fill(contents);
        var request = new AiFactory.Inference.Grpc.Protocol.ModelInferRequest { ModelName = model };
        request.Inputs.Add(new AiFactory.Inference.Grpc.Protocol.ModelInferRequest.Types.InferInputTensor
        {
            Name = $"in_{datatype.ToLowerInvariant()}", Datatype = datatype, Shape = { 1, 1 }, Contents = contents,
        });

        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.ModelInferAsync(request));

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(message, refused.Status.Detail);
        await AssertStillServing();
    }

    private async Task AssertStillServing()
    {
        using var response = await server.Http.PostAsync(Detector, Json("x", [1, 3, 32, 32], new float[3 * 32 * 32]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
