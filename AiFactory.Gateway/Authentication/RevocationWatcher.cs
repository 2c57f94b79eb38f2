using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// Polls PostgreSQL for revoked keys and makes this gateway forget them, so a key revoked on any gateway replica
/// stops working on this one within one <see cref="ApiKeyOptions.RevocationPollInterval"/>. Polling the database
/// (an index lookup) keeps that bound even while Redis is down.
/// </summary>
public sealed class RevocationWatcher(
    ApiKeyStore store, ApiKeyValidator validator, IOptions<ApiKeyOptions> options, ILogger<RevocationWatcher> logger) : BackgroundService
{
    // A revocation is stamped inside its UPDATE and becomes visible at commit, a moment later; each poll looks back
    // this far so one stamped before the previous poll but committed after it is still seen.
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var since = DateTime.UtcNow - Overlap;
        var failing = false;
        using var timer = new PeriodicTimer(options.Value.RevocationPollInterval);
        do
        {
            try
            {
                var (ids, now) = await store.RevokedSinceAsync(since, stoppingToken);
                foreach (var id in ids)
                {
                    validator.Forget(id);
                }

                since = now - Overlap;
                if (failing)
                {
                    logger.LogInformation("Watching for revoked API keys again");
                    failing = false;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                {
                    logger.LogWarning(e, "Cannot read API key revocations; keys this gateway has cached stay trusted for at most their cache duration plus the stale-if-error bound");
                    failing = true;
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
