using AiFactory.Gateway.Overview;
using AiFactory.Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Canary;

/// <summary>Closes a <see cref="CanarySeries"/> interval every <see cref="OverviewOptions.SampleInterval"/>, over the policies in force.</summary>
public sealed partial class CanarySampler(
    CanarySeries series, TrafficPolicies policies, IOptions<OverviewOptions> options, TimeProvider time, ILogger<CanarySampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                series.Sample(policies.AllInForce);
            }
            catch (Exception e)
            {
                // A missing sample is a gap in a chart; a stopped sampler (or host) would be far worse.
                LogSampleFailed(logger, e);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "The canary series could not take a sample")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
