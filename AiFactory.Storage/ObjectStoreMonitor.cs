using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiFactory.Storage;

/// <summary>
/// Probes the store every <see cref="StorageOptions.ProbeInterval"/> (<see cref="IObjectStore.EnsureBucketAsync"/>, so
/// the first probe also creates the bucket where it does not exist yet), logs each change of availability with its reason, and reports it as the gauge
/// <c>aifactory.storage.available</c> (1 or 0). Not a readiness check: serving goes on without the store.
/// </summary>
public sealed partial class ObjectStoreMonitor : BackgroundService
{
    public const string MeterName = "AiFactory.Storage";

    private readonly IObjectStore _store;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ObjectStoreMonitor> _logger;
    private bool? _available;

    public ObjectStoreMonitor(IObjectStore store, IOptions<StorageOptions> options, IMeterFactory meters, ILogger<ObjectStoreMonitor> logger,
        TimeProvider? time = null)
    {
        _store = store;
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        meters.Create(MeterName).CreateObservableGauge("aifactory.storage.available", () => _available == true ? 1 : 0,
            description: "1 while the object store answers, 0 while it cannot be reached");
    }

    /// <summary>The last probe's answer; null before the first.</summary>
    public bool? IsAvailable => _available;

    /// <summary>Asks the store once and records the answer.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _store.EnsureBucketAsync(cancellationToken);
            if (_available != true)
            {
                LogAvailable(_options.Endpoint);
            }

            _available = true;
        }
        catch (StorageUnavailableException e)
        {
            if (_available != false)
            {
                LogUnavailable(_options.Endpoint, e.Message);
            }

            _available = false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ProbeInterval, _time);
        do
        {
            await ProbeAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The object store at {Endpoint} answers")]
    private partial void LogAvailable(Uri? endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The object store at {Endpoint} cannot be reached: {Reason}. Uploads fail with 503; serving goes on")]
    private partial void LogUnavailable(Uri? endpoint, string reason);
}
