using System.Net.Sockets;
using System.Text;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 over a plain socket, for the requests an attacker makes and <see cref="HttpClient"/> will not: a
/// <c>Content-Length</c> larger than the bytes that follow, a body trickled a few bytes at a time. The body is
/// written while the answer is awaited, so a server that answers early (or drops the connection) is seen at once.
/// </summary>
public static class RawHttp
{
    /// <summary>A server's answer; status 0 when the connection closed without one.</summary>
    public sealed record Response(int Status, string Body)
    {
        /// <summary>The status and the protocol's <c>{"error"}</c> message (null when the body is not one), for one assertion.</summary>
        public (int Status, string? Error) Summary
        {
            get
            {
                try
                {
                    using var json = System.Text.Json.JsonDocument.Parse(Body);
                    return (Status, json.RootElement.GetProperty("error").GetString());
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    return (Status, null);
                }
            }
        }
    }

    /// <summary>
    /// POSTs to <paramref name="path"/> declaring <paramref name="contentLength"/> body bytes, and lets
    /// <paramref name="writeBody"/> write what it will (it is cancelled once the answer came).
    /// </summary>
    public static async Task<Response> PostAsync(Uri server, string path, long contentLength, Func<Stream, CancellationToken, Task> writeBody,
        CancellationToken cancellationToken, string? apiKey = null, string contentType = "application/json")
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cancellationToken);
        await using var stream = client.GetStream();
        var head = new StringBuilder()
            .Append($"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: {contentType}\r\nContent-Length: {contentLength}\r\n");
        if (apiKey is not null)
        {
            head.Append($"Authorization: Bearer {apiKey}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), cancellationToken);

        using var answered = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = WriteQuietlyAsync(stream, writeBody, answered.Token);
        var response = await ReadResponseAsync(stream, cancellationToken);
        await answered.CancelAsync();
        await writing;
        return response;
    }

    /// <summary>A body writer that sends <paramref name="prefix"/> and then nothing more, holding the connection open.</summary>
    public static Func<Stream, CancellationToken, Task> SendsOnly(byte[] prefix) => async (stream, cancellationToken) =>
    {
        await stream.WriteAsync(prefix, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        await Task.Delay(Timeout.Infinite, cancellationToken);
    };

    /// <summary>A body writer that sends <paramref name="bytes"/> bytes every <paramref name="interval"/>, for ever.</summary>
    public static Func<Stream, CancellationToken, Task> Trickles(int bytes, TimeSpan interval) => async (stream, cancellationToken) =>
    {
        var chunk = Encoding.ASCII.GetBytes(new string(' ', bytes));
        while (true)
        {
            await stream.WriteAsync(chunk, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await Task.Delay(interval, cancellationToken);
        }
    };

    private static async Task WriteQuietlyAsync(Stream stream, Func<Stream, CancellationToken, Task> writeBody, CancellationToken cancellationToken)
    {
        try
        {
            await writeBody(stream, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // Answered or dropped: what the server did is in the response.
        }
    }

    private static async Task<Response> ReadResponseAsync(Stream stream, CancellationToken cancellationToken)
    {
        var reader = new ResponseReader(stream);
        try
        {
            var statusLine = await reader.ReadLineAsync(cancellationToken);
            if (statusLine is null)
            {
                return new Response(0, "");
            }

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (var line = await reader.ReadLineAsync(cancellationToken); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync(cancellationToken))
            {
                var colon = line.IndexOf(':');
                headers[line[..colon]] = line[(colon + 1)..].Trim();
            }

            var status = int.Parse(statusLine.Split(' ')[1]);
            var body = headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase)
                ? await reader.ReadChunkedAsync(cancellationToken)
                : headers.TryGetValue("Content-Length", out var length)
                    ? await reader.ReadExactlyAsync(int.Parse(length), cancellationToken)
                    : await reader.ReadToEndAsync(cancellationToken);
            return new Response(status, Encoding.UTF8.GetString(body));
        }
        catch (IOException)
        {
            return new Response(0, "");
        }
    }

    /// <summary>Reads lines and bodies off the socket without reading past what it was asked for.</summary>
    private sealed class ResponseReader(Stream stream)
    {
        private readonly byte[] _one = new byte[1];

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new StringBuilder();
            while (true)
            {
                if (await stream.ReadAsync(_one, cancellationToken) == 0)
                {
                    return line.Length == 0 ? null : line.ToString();
                }

                if (_one[0] == '\n')
                {
                    return line.ToString().TrimEnd('\r');
                }

                line.Append((char)_one[0]);
            }
        }

        public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
        {
            var buffer = new byte[count];
            await stream.ReadExactlyAsync(buffer, cancellationToken);
            return buffer;
        }

        public async Task<byte[]> ReadChunkedAsync(CancellationToken cancellationToken)
        {
            using var body = new MemoryStream();
            while (await ReadLineAsync(cancellationToken) is { Length: > 0 } size && Convert.ToInt32(size.Split(';')[0], 16) is var length and > 0)
            {
                body.Write(await ReadExactlyAsync(length, cancellationToken));
                await ReadLineAsync(cancellationToken);
            }

            return body.ToArray();
        }

        public async Task<byte[]> ReadToEndAsync(CancellationToken cancellationToken)
        {
            using var body = new MemoryStream();
            await stream.CopyToAsync(body, cancellationToken);
            return body.ToArray();
        }
    }
}
