using System.Collections.Frozen;
using System.Collections.Immutable;
using AiFactory.Gateway.Database;
using AiFactory.Registry.Client;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// The traffic policies in force, kept in memory for routing: every model's policy in force and the ones before it
/// (newest first; the observed weights fall back on them while a new policy loads). Read in full once the schema
/// exists, again at every registry notification (<see cref="RegistryChannel"/>) and every
/// <see cref="TrafficOptions.PollInterval"/>. While PostgreSQL does not answer, the last policies read stay.
/// </summary>
public sealed partial class TrafficPolicies(
    NpgsqlDataSource dataSource,
    SchemaMigrationService schema,
    RegistryChangeListener listener,
    IOptions<TrafficOptions> options,
    ILogger<TrafficPolicies> logger) : BackgroundService
{
    /// <summary>Earlier policies kept per model: enough to fall back through a few changes made while one loads.</summary>
    public const int HistoryLength = 20;

    private static readonly string Sql = $"""
        SELECT p.model, p.id, p.weights::text, p.parent_id
        FROM model_traffic t
        CROSS JOIN LATERAL (
            SELECT id, model, weights, parent_id FROM traffic_policies q
            WHERE q.model = t.model AND q.id <= t.policy_id
            ORDER BY q.id DESC
            LIMIT {HistoryLength}) p
        """;

    private readonly SemaphoreSlim _wake = new(0, 1);
    private volatile FrozenDictionary<string, ImmutableArray<TrafficPolicy>> _policies = FrozenDictionary<string, ImmutableArray<TrafficPolicy>>.Empty;
    private volatile bool _loaded;
    private bool _failing;

    /// <summary>True once the policies have been read at least once.</summary>
    public bool HasLoaded => _loaded;

    /// <summary>The model's policy in force, then the earlier ones, newest first; empty when it has none.</summary>
    public ImmutableArray<TrafficPolicy> HistoryOf(string model) => _policies.GetValueOrDefault(model, []);

    /// <summary>The policy in force for the model; null when it has none (it is routed as inference decides).</summary>
    public TrafficPolicy? InForce(string model) => _policies.TryGetValue(model, out var history) ? history[0] : null;

    /// <summary>Every model's policy in force.</summary>
    public IEnumerable<TrafficPolicy> AllInForce => _policies.Values.Select(history => history[0]);

    /// <summary>Reads every policy again now; false when PostgreSQL did not answer (the last policies read stay).</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        var rows = new List<TrafficPolicy>();
        try
        {
            await using var command = dataSource.CreateCommand(Sql);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var (model, id, weightsJson) = (reader.GetString(0), reader.GetInt64(1), reader.GetString(2));
                if (TrafficPolicy.ParseWeights(weightsJson) is { } weights)
                {
                    rows.Add(new TrafficPolicy(id, model, weights, reader.IsDBNull(3) ? null : reader.GetInt64(3)));
                }
                else
                {
                    LogBadWeights(logger, id, model, weightsJson);
                }
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
        {
            if (!_failing)
            {
                _failing = true;
                LogUnavailable(logger, _policies.Count, e);
            }

            return false;
        }

        if (_failing)
        {
            _failing = false;
            LogAvailable(logger);
        }

        // Rows come per model with the policy in force first. A policy in force with broken weights is skipped:
        // the model then routes by its newest valid earlier policy, the way a replica keeps what it has.
        _policies = rows.GroupBy(policy => policy.Model, StringComparer.Ordinal)
            .ToFrozenDictionary(group => group.Key, group => group.ToImmutableArray(), StringComparer.Ordinal);
        _loaded = true;
        return true;
    }

    /// <summary>Asks for a refresh now (a notification, a new listening connection).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A refresh is already pending.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!schema.IsMigrated)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
        }

        var listening = listener.RunAsync(connected: Wake, changed: _ => Wake(), stoppingToken);
        try
        {
            while (true)
            {
                await RefreshAsync(stoppingToken);
                await _wake.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
        }
        finally
        {
            await listening.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [LoggerMessage(LogLevel.Error, "Traffic policy {Id} of model {Model} has weights the gateway cannot use ({Weights}); it is skipped")]
    private static partial void LogBadWeights(ILogger logger, long id, string model, string weights);

    [LoggerMessage(LogLevel.Warning, "Traffic policies cannot be read; routing goes on with the {Models} models' policies read last")]
    private static partial void LogUnavailable(ILogger logger, int models, Exception exception);

    [LoggerMessage(LogLevel.Information, "Traffic policies can be read again")]
    private static partial void LogAvailable(ILogger logger);
}
