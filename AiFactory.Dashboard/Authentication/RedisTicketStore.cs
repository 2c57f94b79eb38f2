using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using StackExchange.Redis;

namespace AiFactory.Dashboard.Authentication;

/// <summary>
/// Keeps authentication tickets in Redis, encrypted with Data Protection (whose keys are in Redis too), so the cookie
/// holds a random session id only: the operator's credential never goes to the browser, and a session outlives a
/// console restart and works on every console replica. A ticket expires in Redis when it does.
/// </summary>
public sealed class RedisTicketStore(IConnectionMultiplexer redis, IDataProtectionProvider dataProtection, TimeProvider time) : ITicketStore
{
    private const string KeyPrefix = "aifactory:console:session:";
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(8);

    private readonly IDataProtector _protector = dataProtection.CreateProtector("AiFactory.Console.Sessions");

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await RenewAsync(id, ticket);
        return id;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        var lifetime = ticket.Properties.ExpiresUtc is { } expires ? expires - time.GetUtcNow() : DefaultLifetime;
        var value = _protector.Protect(TicketSerializer.Default.Serialize(ticket));
        return redis.GetDatabase().StringSetAsync(KeyPrefix + key, value, lifetime > TimeSpan.Zero ? lifetime : TimeSpan.FromSeconds(1));
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        var value = await redis.GetDatabase().StringGetAsync(KeyPrefix + key);
        if (value.IsNullOrEmpty)
        {
            return null;
        }

        try
        {
            return TicketSerializer.Default.Deserialize(_protector.Unprotect((byte[])value!));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null; // protected with a key that no longer exists: the operator signs in again
        }
    }

    public Task RemoveAsync(string key) => redis.GetDatabase().KeyDeleteAsync(KeyPrefix + key);
}

/// <summary>Gives the cookie scheme its server-side <see cref="RedisTicketStore"/>.</summary>
public sealed class CookieSessionStoreSetup(RedisTicketStore store) : Microsoft.Extensions.Options.IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options) => options.SessionStore = store;
}
