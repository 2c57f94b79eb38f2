using AiFactory.Gateway.Overview;
using AiFactory.Gateway.Traffic;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Canary;

/// <summary>Closes a <see cref="CanarySeries"/> interval every <see cref="OverviewOptions.SampleInterval"/>, over the policies in force.</summary>
public sealed class CanarySampler(CanarySeries series, TrafficPolicies policies, IOptions<OverviewOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SampleInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // In memory only: nothing here can fail but a bug, which should be seen.
            series.Sample(policies.AllInForce);
        }
    }
}
