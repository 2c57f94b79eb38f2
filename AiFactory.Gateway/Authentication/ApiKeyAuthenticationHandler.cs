using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Telemetry;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> or <c>x-api-key: &lt;key&gt;</c>, and answers 401/403/503
/// in the protocol's error shape, naming what is wrong. A client address that failed too often
/// (<see cref="FailedAuthenticationThrottle"/>) gets 429 with <c>Retry-After</c> instead of a store lookup.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyValidator validator,
    FailedAuthenticationThrottle throttle, GatewayMetrics metrics)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ApiKeyHeader = "x-api-key";
    public const string ScopeClaim = "scope";

    private KeyCheck? _failure;
    private TimeSpan? _throttledFor;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedKey(Request);
        if (presented is null)
        {
            return AuthenticateResult.NoResult();
        }

        var started = Stopwatch.GetTimestamp();
        var result = await AuthenticateAsync(presented);
        metrics.AuthenticationDuration(Stopwatch.GetElapsedTime(started), Outcome());
        return result;
    }

    private async Task<AuthenticateResult> AuthenticateAsync(string presented)
    {
        // What costs nothing is decided first: the bootstrap key, and keys this gateway remembers as valid. They pass
        // even from a throttled address, so a bad client sharing it (a NAT, a proxy) cannot lock out known callers.
        var key = validator.ValidWithoutStore(presented);
        if (key is null)
        {
            // A key last read as valid whose entry has expired is read again without a charge: every request of a
            // busy key that arrives during that read would otherwise be charged, and past the burst refused.
            var address = Context.Connection.RemoteIpAddress;
            var charged = !validator.WasValid(presented);
            if (charged && !throttle.TryCharge(address, out var retryAfter))
            {
                _throttledFor = retryAfter;
                return AuthenticateResult.Fail("throttled");
            }

            (var check, key) = await validator.CheckAsync(presented, Context.RequestAborted);
            if (charged && (key is not null || check == KeyCheck.StoreUnavailable))
            {
                throttle.Refund(address);
            }

            if (key is null)
            {
                _failure = check;
                return AuthenticateResult.Fail(check.ToString());
            }
        }

        Context.SetApiKey(key);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, key.Id), new Claim(ClaimTypes.Name, key.Name), .. key.Scopes.Select(scope => new Claim(ScopeClaim, scope))],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private string Outcome() => (_throttledFor, _failure) switch
    {
        ({ }, _) => "throttled",
        (_, null) => "valid",
        (_, KeyCheck.Revoked) => "revoked",
        (_, KeyCheck.StoreUnavailable) => "unavailable",
        _ => "unknown",
    };

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (_throttledFor is { } retryAfter)
        {
            metrics.RateLimitRejection("authentication");
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return GatewayErrors.WriteAsync(Context, StatusCodes.Status429TooManyRequests,
                $"too many failed authentications from this address; retry after {seconds} s");
        }

        Response.Headers.WWWAuthenticate = "Bearer";
        var (status, message) = _failure switch
        {
            KeyCheck.Revoked => (StatusCodes.Status401Unauthorized, "the API key has been revoked"),
            KeyCheck.Unknown => (StatusCodes.Status401Unauthorized, "the API key is not valid"),
            KeyCheck.StoreUnavailable => (StatusCodes.Status503ServiceUnavailable, "the API key cannot be checked now: the key store is unavailable"),
            _ => (StatusCodes.Status401Unauthorized, $"an API key is required: send 'Authorization: Bearer <key>' or '{ApiKeyHeader}: <key>'"),
        };
        return GatewayErrors.WriteAsync(Context, status, message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        // Each policy is named after the scope it requires (see ApiKeyScopes).
        var scope = Context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>()?.Policy ?? "required";
        return GatewayErrors.WriteAsync(Context, StatusCodes.Status403Forbidden, $"the API key does not have the '{scope}' scope");
    }

    private static string? PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        var header = request.Headers[ApiKeyHeader].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }
}
