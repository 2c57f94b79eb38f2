using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using AiFactory.Inference.Grpc.Protocol;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// The gateway in front of the AppHost's two inference replicas: it spreads the work, loses no request when a
/// replica stops under load, and proxies gRPC. Each replica's own statistics say who served what.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class ReplicaRoutingTests(AppHostFixture fixture)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ResourceTimeout = TimeSpan.FromMinutes(2);
    private static readonly string Model = SampleModels.TextDirection;

    [Fact]
    public async Task Requests_through_the_gateway_are_spread_over_both_replicas()
    {
        using var gateway = fixture.CreateGatewayClient();
        // Every request must reach a replica: the response cache would answer repeats itself.
        gateway.DefaultRequestHeaders.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoCache = true };
        var before = await InferenceCountsAsync();

        // Batches until both replicas served some, in case an earlier test left one just back from a restart and
        // not yet healthy again in the gateway's eyes.
        var sent = 0;
        var deadline = Stopwatch.StartNew();
        long[] served;
        do
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 32), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            {
                using var response = await gateway.PostAsync($"/v2/models/{Model}/infer", Request(i)).WaitAsync(RequestTimeout);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }).WaitAsync(RequestTimeout);
            sent += 32;
            var after = await InferenceCountsAsync();
            served = [.. after.Zip(before, (a, b) => a - b)];
        }
        while (served.Any(count => count == 0) && deadline.Elapsed < TimeSpan.FromSeconds(30));

        Assert.All(served, count => Assert.True(count > 0, $"a replica served nothing: {string.Join(", ", served)}"));
        Assert.Equal(sent, served.Sum());
    }

    [Fact]
    public async Task One_inference_replica_killed_in_the_middle_of_a_load_fails_no_client_request()
    {
        const int clients = 8;
        var load = TimeSpan.FromSeconds(6);
        var stopAfter = TimeSpan.FromSeconds(2);
        // The stop command returns once the process exited, which takes a graceful shutdown; the load goes on at
        // least this long after that, so that the survivor alone serves some of it.
        var loadAfterStop = TimeSpan.FromSeconds(2);
        var (survivor, stopped) = (AppHostFixture.InferenceReplicas[0], AppHostFixture.InferenceReplicas[1]);

        using var gateway = fixture.CreateGatewayClient();
        // Every request must reach a replica: the response cache would answer repeats itself.
        gateway.DefaultRequestHeaders.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoCache = true };
        var survivorBefore = await InferenceCountAsync(survivor);
        var failures = new ConcurrentQueue<string>();
        var startedAfterStop = 0;
        var succeeded = 0;
        var stoppedAtTicks = long.MaxValue - TimeSpan.FromHours(1).Ticks;
        var clock = Stopwatch.StartNew();
        using var abandon = new CancellationTokenSource();

        try
        {
            var workers = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
            {
                for (var i = 0; !abandon.IsCancellationRequested && (clock.Elapsed < load || clock.Elapsed.Ticks < Volatile.Read(ref stoppedAtTicks) + loadAfterStop.Ticks); i++)
                {
                    var afterStop = clock.Elapsed.Ticks > Volatile.Read(ref stoppedAtTicks);
                    try
                    {
                        using var response = await gateway.PostAsync($"/v2/models/{Model}/infer", Request(client * 10_000 + i)).WaitAsync(RequestTimeout);
                        var body = await response.Content.ReadAsStringAsync().WaitAsync(RequestTimeout);
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            failures.Enqueue($"{(int)response.StatusCode} at {clock.Elapsed}: {body}");
                            continue;
                        }

                        JsonDocument.Parse(body).Dispose();
                        Interlocked.Increment(ref succeeded);
                        if (afterStop)
                        {
                            Interlocked.Increment(ref startedAfterStop);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TimeoutException or JsonException)
                    {
                        failures.Enqueue($"{e.GetType().Name} at {clock.Elapsed}: {e.Message}");
                    }
                }
            })).ToList();

            await Task.Delay(stopAfter);
            // The replica dies the hard way (SIGKILL), mid-request, as a crashed or evicted pod does: requests in
            // flight on it fail at the transport level and must be retried on the other replica.
            using (var kill = new CancellationTokenSource(ResourceTimeout))
            {
                await fixture.KillResourceAsync(stopped, kill.Token);
            }

            Volatile.Write(ref stoppedAtTicks, clock.Elapsed.Ticks);

            await Task.WhenAll(workers).WaitAsync(ResourceTimeout);
        }
        finally
        {
            abandon.Cancel();
            using var restart = new CancellationTokenSource(ResourceTimeout);
            await fixture.StartResourceAsync(stopped, restart.Token);
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} of {failures.Count + succeeded} requests failed:\n{string.Join("\n", failures.Take(20))}\n{fixture.RecentLog}");
        Assert.True(startedAfterStop > 0, "no request was sent after the replica stopped");
        var survivorServed = await InferenceCountAsync(survivor) - survivorBefore;
        Assert.True(survivorServed >= startedAfterStop,
            $"{survivor} served {survivorServed} requests, fewer than the {startedAfterStop} sent after {stopped} stopped");
    }

    [Fact]
    public async Task Grpc_model_infer_through_the_gateway_equals_the_direct_result()
    {
        var image = SampleModels.RandomImage(seed: 11, 2, 3, 48, 192);
        var request = new ModelInferRequest { ModelName = Model, Id = "grpc-gateway" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = SampleModels.TextDirectionInput, Datatype = "FP32", Shape = { 2, 3, 48, 192 } });
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(image.AsSpan())));

        using var gatewayChannel = fixture.CreateGatewayGrpcChannel();
        using var directChannel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.App.GetEndpoint(AppHostFixture.InferenceReplicas[0], "grpc"));
        var throughGateway = await new GRPCInferenceService.GRPCInferenceServiceClient(gatewayChannel)
            .ModelInferAsync(request, deadline: DateTime.UtcNow.Add(RequestTimeout));
        var direct = await new GRPCInferenceService.GRPCInferenceServiceClient(directChannel)
            .ModelInferAsync(request, deadline: DateTime.UtcNow.Add(RequestTimeout));

        Assert.Equal("grpc-gateway", throughGateway.Id);
        Assert.Equal(direct.ModelName, throughGateway.ModelName);
        Assert.Equal(direct.ModelVersion, throughGateway.ModelVersion);
        Assert.Equal(direct.Outputs, throughGateway.Outputs);
        Assert.Equal([2L, 2L], throughGateway.Outputs.Single().Shape);
        Assert.Equal(direct.RawOutputContents, throughGateway.RawOutputContents);
    }

    private static StringContent Request(int seed) =>
        OipRequests.Json(SampleModels.TextDirectionInput, [1, 3, 48, 192], SampleModels.RandomImage(seed, 1, 3, 48, 192));

    private async Task<long[]> InferenceCountsAsync() =>
        await Task.WhenAll(AppHostFixture.InferenceReplicas.Select(replica => InferenceCountAsync(replica)));

    private Task<long> InferenceCountAsync(string replica) =>
        fixture.InferenceCountAsync(replica, Model, CancellationToken.None).WaitAsync(RequestTimeout);
}
