extern alias gateway;

using ReplayableRequestBody = gateway::AiFactory.Gateway.Routing.ReplayableRequestBody;

namespace AiFactory.Tests.Gateway;

/// <summary>The copy of a request body that lets the gateway send it to another replica, and its bound.</summary>
public sealed class ReplayableRequestBodyTests
{
    private static readonly byte[] Body = [.. Enumerable.Range(0, 100_000).Select(i => (byte)(i * 31))];

    [Fact]
    public async Task A_body_within_the_limit_reads_again_from_its_start_after_a_partial_read()
    {
        await using var body = new ReplayableRequestBody(new MemoryStream(Body), limit: Body.Length, expectedLength: null);
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
        await using var body = new ReplayableRequestBody(new MemoryStream(Body), limit: 1000, expectedLength: Body.Length);

        Assert.Equal(Body, await ReadAllAsync(body));
        Assert.False(body.TryRewind());
    }

    [Fact]
    public async Task A_body_kept_without_copy_can_be_sent_again_while_nothing_of_it_was_read()
    {
        await using var body = new ReplayableRequestBody(new MemoryStream(Body), limit: 0, expectedLength: Body.Length);

        Assert.True(body.TryRewind());
        Assert.Equal(Body, await ReadAllAsync(body));
        Assert.False(body.TryRewind());
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy).WaitAsync(TimeSpan.FromSeconds(10));
        return copy.ToArray();
    }
}
