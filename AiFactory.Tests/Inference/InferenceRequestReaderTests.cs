using System.Text;
using AiFactory.Inference.Protocol;
using Microsoft.AspNetCore.Http;

namespace AiFactory.Tests.Inference;

/// <summary>How the REST body is read: into pooled memory that grows with the bytes that arrive.</summary>
public sealed class InferenceRequestReaderTests
{
    private const string Request = """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,1],"data":[1]}]}""";

    /// <summary>
    /// Attack: a <c>Content-Length</c> of 1 GiB ahead of a few bytes. The body is read into memory sized by what
    /// arrived, never by what was declared. (A body stream that completes at once keeps the whole read on this thread,
    /// so the thread's allocation counter sees every buffer it took.)
    /// </summary>
    [Fact]
    public async Task A_body_declaring_a_gibibyte_but_holding_a_few_bytes_takes_memory_for_those_bytes_only()
    {
        var request = RequestWith(Encoding.UTF8.GetBytes(Request), declaredLength: 1L << 30);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var read = InferenceRequestReader.ReadAsync(request, int.MaxValue, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(read.IsCompleted);
        using var body = await read;
        Assert.Equal("x", body.Request.Inputs![0].Name);
        Assert.True(allocated < 1024 * 1024, $"reading {Request.Length} bytes allocated {allocated} bytes");
    }

    [Fact]
    public async Task A_body_larger_than_the_first_buffer_is_read_whole()
    {
        var padding = new string(' ', 3 * 1024 * 1024 + 17);
        var json = Encoding.UTF8.GetBytes(Request.Insert(1, $"\"padding\":\"{padding}\","));

        using var body = await InferenceRequestReader.ReadAsync(RequestWith(json, declaredLength: null), json.Length, CancellationToken.None);

        Assert.Equal("x", body.Request.Inputs![0].Name);
    }

    [Fact]
    public async Task A_body_past_the_limit_is_refused_as_it_arrives_whatever_it_declared()
    {
        var json = Encoding.UTF8.GetBytes(Request);

        var refused = await Assert.ThrowsAsync<InferenceException>(() =>
            InferenceRequestReader.ReadAsync(RequestWith(json, declaredLength: null), json.Length - 1, CancellationToken.None));

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, refused.StatusCode);
        Assert.Equal($"the request body is larger than the limit of {json.Length - 1} bytes", refused.Message);
    }

    private static HttpRequest RequestWith(byte[] body, long? declaredLength)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = declaredLength;
        return context.Request;
    }
}
