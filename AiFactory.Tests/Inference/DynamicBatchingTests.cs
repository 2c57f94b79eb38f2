using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Inference;

/// <summary>The dynamic batcher combines concurrent requests and still answers each with exactly its own result.</summary>
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

    [Fact]
    public async Task A_full_queue_answers_503_at_once()
    {
        // text-direction-small-queue waits up to 1 s for a batch and holds at most 2 items.
        var image = SampleModels.RandomImage(seed: 5, 1, 3, 48, 192);
        // Binary requests reach the queue within milliseconds; 400 ms leaves a wide margin under the 1 s delay.
        var waiting = Enumerable.Range(0, 2)
            .Select(_ => server.Http.PostAsync("/v2/models/text-direction-small-queue/infer", BinaryFp32("x", [1, 3, 48, 192], image)))
            .ToList();
        await Task.Delay(400);

        var clock = Stopwatch.StartNew();
        using var refused = await server.Http.PostAsync("/v2/models/text-direction-small-queue/infer", BinaryFp32("x", [1, 3, 48, 192], image));
        clock.Stop();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("model 'text-direction-small-queue' version 1 is overloaded: its queue holds 2 items (max_queue_size)",
            ErrorOf(await refused.Content.ReadAsStringAsync()).GetString());
        Assert.True(clock.ElapsedMilliseconds < 500, $"the refusal took {clock.ElapsedMilliseconds} ms");
        await AssertAllServedAsync(waiting);
    }

    [Fact]
    public async Task A_request_past_its_timeout_is_answered_rather_than_left_waiting()
    {
        var image = SampleModels.RandomImage(seed: 6, 1, 3, 48, 192);
        var clock = Stopwatch.StartNew();
        using var response = await server.Http.PostAsync("/v2/models/text-direction-small-queue/infer",
            Json("x", [1, 3, 48, 192], image, parameters: new JsonObject { ["timeout"] = 50_000 }));
        clock.Stop();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("the request waited longer than its timeout (50000 µs) in the queue", ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        Assert.True(clock.ElapsedMilliseconds < 900, $"answered after {clock.ElapsedMilliseconds} ms, the batch delay is 1000 ms");

        // The batcher outlives requests that gave up: the next one is served.
        using var next = await server.Http.PostAsync("/v2/models/text-direction-small-queue/infer", Json("x", [1, 3, 48, 192], image));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    /// <summary>
    /// The queue is bounded in bytes as well as items: text-direction-small-bytes waits 5 s for a batch and holds at
    /// most 250,000 bytes, two requests of one 110,592-byte image. A third is refused at once, whatever its count.
    /// </summary>
    [Fact]
    public async Task A_queue_full_by_bytes_answers_503_naming_max_queue_bytes()
    {
        const string model = "text-direction-small-bytes";
        var image = SampleModels.RandomImage(seed: 7, 1, 3, 48, 192);
        using var queue = new QueueDepth(model);
        var waiting = Enumerable.Range(0, 2)
            .Select(_ => server.Http.PostAsync($"/v2/models/{model}/infer", BinaryFp32("x", [1, 3, 48, 192], image)))
            .ToList();
        await queue.WaitForAsync(2);

        using var refused = await server.Http.PostAsync($"/v2/models/{model}/infer", BinaryFp32("x", [1, 3, 48, 192], image));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal($"model '{model}' version 1 is overloaded: its queue holds 221184 of at most 250000 bytes (max_queue_bytes)",
            ErrorOf(await refused.Content.ReadAsStringAsync()).GetString());
        await AssertAllServedAsync(waiting);
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

    private static async Task AssertAllServedAsync(List<Task<HttpResponseMessage>> requests)
    {
        foreach (var response in await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }
    }

    /// <summary>
    /// A model's queue depth as the server itself reports it (<c>aifactory.inference.queue.depth</c>, which the
    /// in-process server records in this process), counted from the moment this is made.
    /// </summary>
    private sealed class QueueDepth : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _items;

        public QueueDepth(string model)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "aifactory.inference.queue.depth")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, items, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag is { Key: "model", Value: string name } && name == model)
                    {
                        Interlocked.Add(ref _items, items);
                    }
                }
            });
            _listener.Start();
        }

        public async Task WaitForAsync(long items)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Interlocked.Read(ref _items) != items)
            {
                await Task.Delay(20, deadline.Token);
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    private async Task<(long Inferences, long Executions)> StatisticsAsync(string model)
    {
        var stats = JsonNode.Parse(await server.Http.GetStringAsync($"/v2/models/{model}/stats"))!["model_stats"]![0]!;
        return (stats["inference_count"]!.GetValue<long>(), stats["execution_count"]!.GetValue<long>());
    }
}
