extern alias gateway;

using CachedResponse = gateway::AiFactory.Gateway.Caching.CachedResponse;

namespace AiFactory.Tests.Gateway;

/// <summary>The cache entry's format: what a hit sends back is exactly what the miss captured, headers and body.</summary>
public sealed class CachedResponseTests
{
    [Fact]
    public void An_entry_made_from_a_slice_of_the_capture_buffer_reads_back_as_the_same_status_headers_and_body()
    {
        // The capture's buffer is larger than what it holds (a MemoryStream's): only the slice is the answer.
        var buffer = new byte[4096];
        Random.Shared.NextBytes(buffer);
        var body = buffer.AsMemory(0, 1000);
        var response = new CachedResponse(200, [new("Content-Type", "application/octet-stream"), new("x-aifactory-model-version", "7")], body);

        var entry = response.Serialize();
        var read = CachedResponse.Deserialize(entry);

        Assert.Equal(200, read.Status);
        Assert.Equal(response.Headers, read.Headers);
        Assert.Equal(body.ToArray(), read.Body.ToArray());
        // Nothing after the body: the entry ends where the answer does.
        Assert.Equal(entry.Length - 1000, entry.AsSpan().IndexOf(body.Span));
    }

    [Fact]
    public void An_entry_read_from_the_middle_of_a_larger_pooled_buffer_reads_back_whole_and_its_body_is_a_slice_of_it()
    {
        // Redis's lease is a rented array, longer than the entry, the entry not necessarily at its start.
        var body = new byte[3000];
        Random.Shared.NextBytes(body);
        var entry = new CachedResponse(200, [new("Content-Type", "application/octet-stream")], body).Serialize();
        var rented = new byte[entry.Length + 100];
        entry.CopyTo(rented, 7);

        var read = CachedResponse.Deserialize(rented.AsMemory(7, entry.Length));

        Assert.Equal(200, read.Status);
        Assert.Equal([new("Content-Type", "application/octet-stream")], read.Headers);
        Assert.Equal(body, read.Body.ToArray());
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(read.Body, out var slice) && slice.Array == rented);
    }
}
