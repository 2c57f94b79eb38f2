extern alias gateway;

using System.Security.Cryptography;
using BufferedRequestBody = gateway::AiFactory.Gateway.Routing.BufferedRequestBody;
using RequestBufferBudget = gateway::AiFactory.Gateway.Routing.RequestBufferBudget;

namespace AiFactory.Tests.Gateway;

/// <summary>
/// The gateway's one copy of a request body, which the response cache hashes, the forwarder sends and a retry sends
/// again, and its bounds: per request, and over all requests.
/// </summary>
public sealed class BufferedRequestBodyTests
{
    private static readonly byte[] Body = [.. Enumerable.Range(0, 100_000).Select(i => (byte)(i * 31))];
    private readonly RequestBufferBudget _budget = new(64L * 1024 * 1024);

    [Fact]
    public async Task A_body_within_the_limit_reads_again_from_its_start_after_a_partial_read()
    {
        await using var body = new BufferedRequestBody(new MemoryStream(Body), limit: Body.Length, _budget);
        var partial = new byte[40_000];
        await body.ReadExactlyAsync(partial);

        Assert.True(body.TryRewind());
        Assert.Equal(Body, await ReadAllAsync(body));
        Assert.True(body.TryRewind());
        Assert.Equal(Body, await ReadAllAsync(body));
    }

    [Fact]
    public async Task A_body_past_the_limit_still_streams_whole_but_cannot_be_replayed()
    {
        await using var body = new BufferedRequestBody(new MemoryStream(Body), limit: 1000, _budget);

        Assert.Equal(Body, await ReadAllAsync(body));
        Assert.False(body.TryRewind());
    }

    [Fact]
    public async Task A_body_kept_without_copy_can_be_sent_again_while_nothing_of_it_was_read()
    {
        await using var body = new BufferedRequestBody(new MemoryStream(Body), limit: 0, _budget);

        Assert.True(body.TryRewind());
        Assert.Equal(Body, await ReadAllAsync(body));
        Assert.False(body.TryRewind());
    }

    [Fact]
    public async Task A_body_buffered_ahead_is_hashed_forwarded_and_replayed_from_one_copy()
    {
        await using var body = new BufferedRequestBody(new MemoryStream(Body), limit: 1024 * 1024, _budget);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        Assert.True(await body.BufferAsync(Body.Length, hash, CancellationToken.None));
        Assert.Equal(Body, body.Buffered.ToArray());
        Assert.Equal(SHA256.HashData(Body), hash.GetHashAndReset());
        Assert.Equal(Body, await ReadAllAsync(body));
        Assert.True(body.TryRewind());
        Assert.Equal(Body, await ReadAllAsync(body));
    }

    [Fact]
    public async Task Bytes_a_step_read_before_buffering_are_hashed_first_so_the_hash_is_the_whole_bodys()
    {
        await using var body = new BufferedRequestBody(new MemoryStream(Body), limit: 1024 * 1024, _budget);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Assert.Equal(1000, await body.ReadAsync(new byte[1000]));

        Assert.True(await body.BufferAsync(Body.Length, hash, CancellationToken.None));

        Assert.Equal(SHA256.HashData(Body), hash.GetHashAndReset());
        Assert.True(body.TryRewind());
        Assert.Equal(Body, await ReadAllAsync(body));
    }

    /// <summary>
    /// Attack: a <c>Content-Length</c> of 8 MiB (what the cache would buffer) ahead of 90 bytes. The copy grows with
    /// what arrives, never to the declared size. (A body stream that completes at once keeps the whole read on this
    /// thread, so the thread's allocation counter sees every buffer it took.)
    /// </summary>
    [Fact]
    public async Task A_body_declaring_8_MiB_but_holding_90_bytes_takes_memory_for_those_bytes_only()
    {
        await using var body = new BufferedRequestBody(new MemoryStream(Body[..90]), limit: 16 * 1024 * 1024, _budget);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var buffering = body.BufferAsync(8 * 1024 * 1024, null, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(buffering.IsCompleted);
        var ended = await Assert.ThrowsAsync<Microsoft.AspNetCore.Http.BadHttpRequestException>(() => buffering);
        Assert.Equal("the request body ended before its Content-Length", ended.Message);
        Assert.True(allocated < 1024 * 1024, $"buffering 90 bytes allocated {allocated} bytes");
    }

    [Fact]
    public async Task Bodies_past_the_gateway_wide_budget_stream_on_without_a_copy_and_the_budget_comes_back()
    {
        var budget = new RequestBufferBudget(256 * 1024);
        var first = new BufferedRequestBody(new MemoryStream(Body), limit: 1024 * 1024, budget);
        var second = new BufferedRequestBody(new MemoryStream(Body), limit: 1024 * 1024, budget);

        Assert.True(await first.BufferAsync(Body.Length, null, CancellationToken.None));
        Assert.False(await second.BufferAsync(Body.Length, null, CancellationToken.None));
        Assert.Equal(Body, await ReadAllAsync(second));
        Assert.False(second.TryRewind());

        await first.DisposeAsync();
        await second.DisposeAsync();
        Assert.Equal(0, budget.Used);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy).WaitAsync(TimeSpan.FromSeconds(10));
        return copy.ToArray();
    }
}
