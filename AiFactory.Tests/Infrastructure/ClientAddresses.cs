using System.Net;
using System.Net.Sockets;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Clients that connect from a chosen address of 127.0.0.0/8 (all of it is this machine's loopback on Linux), so
/// that a test can play many clients at different addresses against a server on 127.0.0.1.
/// </summary>
public static class ClientAddresses
{
    /// <summary>The <paramref name="index"/>-th address of the /16 <c>127.<paramref name="network"/>.0.0</c> (never .0 or .255).</summary>
    public static IPAddress Loopback(int network, int index) =>
        new([127, (byte)network, (byte)(index / 254), (byte)(index % 254 + 1)]);

    /// <summary>A client of <paramref name="server"/> (on 127.0.0.1, whatever its host name says) whose connections come from <paramref name="from"/>.</summary>
    public static HttpClient ConnectingFrom(IPAddress from, Uri server) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = server };
}
