using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Inference;

/// <summary>
/// Over HTTP, against the real model: the dynamic batcher combines concurrent requests (padded to fixed sizes) and
/// still answers each with exactly its own result, and the statistics count the items clients sent. How batches
/// form, time out and fill their queue is tested without a server or a clock (Batching/DynamicBatcherTests).
/// </summary>
[Collection(InferenceServerCollection.Name)]
public sealed class DynamicBatchingTests(InferenceServerFixture server)
{
    [Fact]
    public async Task Sixty_four_concurrent_requests_each_get_their_own_result_in_far_fewer_executions()
    {
        var before = await StatisticsAsync("text-direction");
        // Requests carry 1, 2 or 3 items each, so batches mix request sizes.
        var requests = Enumerable.Range(0, 64).Select(i =>
        {
            var items = 1 + i % 3;
            long[] shape = [items, 3, 48, 192];
            var image = SampleModels.RandomImage(seed: 1000 + i, items, 3, 48, 192);
            return (Shape: shape, Image: image);
        }).ToList();

        var responses = await Task.WhenAll(requests.Select(async request =>
        {
            using var response = await server.Http.PostAsync("/v2/models/text-direction/infer", BinaryFp32("x", request.Shape, request.Image));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var (json, binary) = await ReadAsync(response);
            return Floats(json, binary, SampleModels.TextDirectionOutput);
        })).WaitAsync(TimeSpan.FromMinutes(2));

        using var reference = new ReferenceSession(RepositoryPaths.Model(SampleModels.TextDirection));
        for (var i = 0; i < requests.Count; i++)
        {
            AssertClose(reference.Run("x", requests[i].Image, requests[i].Shape, SampleModels.TextDirectionOutput), responses[i]);
        }

        var after = await StatisticsAsync("text-direction");
        var inferences = after.Inferences - before.Inferences;
        var executions = after.Executions - before.Executions;
        Assert.Equal(requests.Sum(r => r.Shape[0]), inferences);
        Assert.True(executions * 4 <= inferences, $"{executions} executions for {inferences} items: batching did not combine requests");
    }

    [Fact]
    public async Task Requests_whose_other_dimensions_differ_are_never_mixed()
    {
        var sizes = new[] { 32, 64, 32, 96, 64, 32 };
        var results = await Task.WhenAll(sizes.Select(async (side, i) =>
        {
            var image = SampleModels.RandomImage(seed: 50 + i, 1, 3, side, side);
            using var response = await server.Http.PostAsync("/v2/models/text-detection/infer", BinaryFp32("x", [1, 3, side, side], image));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var (json, binary) = await ReadAsync(response);
            Assert.Equal($"[1,1,{side},{side}]", json["outputs"]![0]!["shape"]!.ToJsonString());
            return (Image: image, Side: side, Output: Floats(json, binary, "sigmoid_0.tmp_0"));
        })).WaitAsync(TimeSpan.FromMinutes(1));

        using var reference = new ReferenceSession(RepositoryPaths.Model(SampleModels.TextDetection));
        foreach (var (image, side, output) in results)
        {
            AssertClose(reference.Run("x", image, [1, 3, side, side], "sigmoid_0.tmp_0"), output, 1e-4f);
        }
    }

    [Theory]
    [InlineData("text-direction", "1,2,4,8,16,32,64")]
    [InlineData("text-detection", "")]
    public async Task Model_metadata_says_which_sizes_batches_run_as(string model, string padded)
    {
        var parameters = JsonNode.Parse(await server.Http.GetStringAsync($"/v2/models/{model}"))!["parameters"]!;

        // Served on the CPU here: padded only where the config asks for it, and no CUDA graphs.
        Assert.Equal(padded, parameters["padded_batch_sizes"]!.GetValue<string>());
        Assert.Equal("false", parameters["cuda_graphs"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_request_larger_than_the_whole_queue_is_refused_as_a_bad_request()
    {
        var image = SampleModels.RandomImage(seed: 8, 3, 3, 48, 192);

        using var refused = await server.Http.PostAsync("/v2/models/text-direction-small-bytes/infer", BinaryFp32("x", [3, 3, 48, 192], image));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("the request's inputs hold 331776 bytes, more than max_queue_bytes (250000) of model 'text-direction-small-bytes'",
            ErrorOf(await refused.Content.ReadAsStringAsync()).GetString());
    }

    private async Task<(long Inferences, long Executions)> StatisticsAsync(string model)
    {
        var stats = JsonNode.Parse(await server.Http.GetStringAsync($"/v2/models/{model}/stats"))!["model_stats"]![0]!;
        return (stats["inference_count"]!.GetValue<long>(), stats["execution_count"]!.GetValue<long>());
    }
}
