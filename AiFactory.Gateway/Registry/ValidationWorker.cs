using AiFactory.Gateway.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// Validates uploaded versions in the background: claims the oldest version in <c>validating</c> (a lease, renewed
/// while the validation runs, so several gateways share the work and a dead gateway's claim expires), asks an
/// inference replica for the report, then stores it with the state it decides. When no replica can validate now, the
/// version waits, 1 s then twice as long each time up to <see cref="RegistryOptions.ValidationMaxRetryDelay"/>.
/// </summary>
public sealed partial class ValidationWorker(
    RegistryStore registry, ValidationClient inference, SchemaMigrationService schema, IOptions<RegistryOptions> options, TimeProvider time,
    ILogger<ValidationWorker> logger) : BackgroundService
{
    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);

    private readonly RegistryOptions _options = options.Value;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Dictionary<(string Model, int Version), int> _failures = [];
    private DateTimeOffset _nextDatabaseWarning;

    /// <summary>Looks for work now instead of at the next poll (an upload to this gateway calls it).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var validated = false;
            try
            {
                validated = schema.IsMigrated && await ValidateNextAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                if (time.GetUtcNow() >= _nextDatabaseWarning)
                {
                    LogDatabaseUnavailable(e.Message);
                    _nextDatabaseWarning = time.GetUtcNow() + WarnEvery;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever went wrong with one version must not stop validation for good.
                LogFailed(e);
            }

            if (!validated)
            {
                await _wake.WaitAsync(_options.ValidationPollInterval, stoppingToken);
            }
        }
    }

    /// <summary>Validates one waiting version, if there is one this gateway can claim; true when it stored an outcome.</summary>
    public async Task<bool> ValidateNextAsync(CancellationToken cancellationToken)
    {
        if (await registry.ClaimValidationAsync(_options.ValidationLease, cancellationToken) is not { } claim)
        {
            return false;
        }

        var (model, version) = (claim.Candidate.Model, claim.Candidate.Version);
        ValidationOutcome outcome;
        using (var validating = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var renewal = RenewClaimAsync(model, version, validating.Token);
            try
            {
                outcome = await inference.ValidateAsync(claim, validating.Token);
            }
            catch (ValidationClient.UnavailableException e)
            {
                var failures = _failures[(model, version)] = _failures.GetValueOrDefault((model, version)) + 1;
                var delay = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, failures - 1), _options.ValidationMaxRetryDelay.TotalSeconds));
                LogRetry(model, version, delay.TotalSeconds, e.Message);
                await validating.CancelAsync();
                await renewal;
                await registry.ExtendClaimAsync(model, version, delay, cancellationToken);
                return false;
            }
            finally
            {
                await validating.CancelAsync();
                await renewal;
            }
        }

        _failures.Remove((model, version));
        if (await registry.CompleteValidationAsync(model, version, outcome, cancellationToken))
        {
            LogValidated(model, version, outcome.State, outcome.Reason);
        }

        return true;
    }

    // Keeps the claim while the validation runs, however long it takes (a large model, a busy replica).
    private async Task RenewClaimAsync(string model, int version, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.ValidationLease / 3, time);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await registry.ExtendClaimAsync(model, version, _options.ValidationLease, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The validation is over.
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The lease may lapse and another gateway validate the version too; the first outcome stored wins.
            LogRenewalFailed(model, version, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} version {Version} validated: {State} {Reason}")]
    private partial void LogValidated(string model, int version, string state, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} version {Version} cannot be validated now, retrying in {Seconds} s: {Reason}")]
    private partial void LogRetry(string model, int version, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The claim on validating model {Model} version {Version} could not be renewed: {Reason}")]
    private partial void LogRenewalFailed(string model, int version, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Validation failed unexpectedly; it goes on at the next poll")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Validation waits: PostgreSQL cannot be reached ({Reason})")]
    private partial void LogDatabaseUnavailable(string reason);
}
