using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// A TCP relay in front of a real server that can lose one answer, as a network failure after the server acted does:
/// once a client has sent bytes containing the marker, the server's next bytes to that client are dropped and both
/// connections closed. The server did what it was asked; the client cannot tell whether it did.
/// </summary>
public sealed class AnswerLosingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _host;
    private readonly int _port;
    private byte[]? _marker;

    private AnswerLosingProxy(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>True once an answer has been lost.</summary>
    public bool Lost { get; private set; }

    public static AnswerLosingProxy Start(string host, int port) => new(host, port);

    /// <summary>Loses the answer to the next request that contains <paramref name="marker"/> (once).</summary>
    public void LoseNextAnswerTo(string marker) => _marker = Encoding.UTF8.GetBytes(marker);

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            await server.ConnectAsync(_host, _port);
            var toClient = client.GetStream();
            var toServer = server.GetStream();
            var loseNextAnswer = false;

            var upstream = PumpAsync(toClient, toServer, chunk =>
            {
                if (_marker is { } marker && chunk.AsSpan().IndexOf(marker) >= 0)
                {
                    _marker = null;
                    loseNextAnswer = true;
                }

                return true;
            });
            var downstream = PumpAsync(toServer, toClient, _ =>
            {
                if (!loseNextAnswer)
                {
                    return true;
                }

                Lost = true;
                return false;
            });
            await Task.WhenAny(upstream, downstream);
        }
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> while <paramref name="forward"/> says so.</summary>
    private async Task PumpAsync(NetworkStream from, NetworkStream to, Func<byte[], bool> forward)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stopping.Token)) > 0)
            {
                var chunk = buffer[..read];
                if (!forward(chunk))
                {
                    return;
                }

                await to.WriteAsync(chunk, _stopping.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side closed.
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }
}
