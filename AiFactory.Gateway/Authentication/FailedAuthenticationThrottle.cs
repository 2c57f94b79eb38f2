using System.Net;
using System.Net.Sockets;
using AiFactory.Gateway.RateLimiting;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// Failed authentications (an unknown, malformed or revoked key) per client address, each address with a
/// <see cref="TokenBucket"/> of <see cref="FailedAuthenticationOptions.Burst"/> failures refilled at
/// <see cref="FailedAuthenticationOptions.PerMinute"/>. An address with no failure left is throttled: its requests
/// are answered 429 before the key store is asked (<see cref="ApiKeyAuthenticationHandler"/>).
/// </summary>
/// <remarks>
/// A check that may fail is charged before it starts and refunded when the key turns out valid, so requests in
/// flight at once cannot overdraw the address (checking first and counting after would let each of them through).
/// A key the gateway last read as valid is not charged when its expired entry is read again: its caller holds the key.
/// The address is the connection's remote address (behind a proxy, the proxy's unless forwarded headers are
/// enabled). IPv6 addresses count by their /64, which one host or site usually holds whole; IPv4-mapped IPv6
/// addresses as the IPv4 address they are. At most <see cref="FailedAuthenticationOptions.TrackedAddresses"/>
/// addresses are remembered, so neither many addresses nor many failures grow memory.
/// </remarks>
public sealed class FailedAuthenticationThrottle(IOptions<FailedAuthenticationOptions> options, TimeProvider time)
{
    private readonly BoundedLru<IPAddress, TokenBucket> _addresses = new(options.Value.TrackedAddresses);

    /// <summary>
    /// Charges <paramref name="address"/> one failure ahead of a check that may fail; false, with how long until it
    /// may try again, when it has none left.
    /// </summary>
    public bool TryCharge(IPAddress? address, out TimeSpan retryAfter)
    {
        var settings = options.Value;
        var decision = _addresses.GetOrAdd(Canonical(address), _ => new TokenBucket(settings.PerMinute / 60, settings.Burst, time)).TryTake();
        retryAfter = decision.RetryAfter;
        return decision.Allowed;
    }

    /// <summary>Gives back a charge whose check did not fail.</summary>
    public void Refund(IPAddress? address)
    {
        if (_addresses.TryGetValue(Canonical(address), out var bucket))
        {
            bucket.Return();
        }
    }

    /// <summary>The address failures count against: IPv4 as is, IPv6 by its /64; no address (a test server, a Unix socket) as one.</summary>
    public static IPAddress Canonical(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.None;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
