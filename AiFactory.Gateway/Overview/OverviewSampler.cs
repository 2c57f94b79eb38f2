using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Overview;

/// <summary>
/// Every <see cref="OverviewOptions.SampleInterval"/>: takes the gateway's traffic of the interval, reads every replica
/// and the services, and adds a sample to the ring. The latest readings are kept for the overview's health table.
/// </summary>
public sealed partial class OverviewSampler(
    TrafficWindow traffic, ReplicaProbe replicas, ServiceHealthProbe services, OverviewRing ring, IOptions<OverviewOptions> options,
    TimeProvider time, ILogger<OverviewSampler> logger) : BackgroundService
{
    private readonly BatchSizeTracker _batches = new();

    public IReadOnlyList<ReplicaView> Replicas { get; private set; } = [];

    public IReadOnlyList<ServiceHealth> Services { get; private set; } = [];

    /// <summary>Takes one sample now (the timer calls this; so may a test).</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        var counts = traffic.Take();
        var readings = await replicas.ReadAllAsync(cancellationToken);
        Services = await services.ReadAsync(cancellationToken);
        Replicas = [.. readings.Select(reading => reading.View)];
        var meanBatch = _batches.Update(readings.SelectMany(reading => reading.Counts));
        ring.Add(OverviewAggregation.Sample(time.GetUtcNow(), options.Value.SampleInterval, counts, readings, meanBatch));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SampleAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A missing sample is a gap in a chart; a stopped sampler would be a blank overview until restart.
                LogSampleFailed(logger, e);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "The overview could not take a sample")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
