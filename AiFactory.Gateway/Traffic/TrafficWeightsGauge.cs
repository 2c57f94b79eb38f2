using System.Diagnostics.Metrics;
using System.Globalization;
using AiFactory.Gateway.Telemetry;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// Publishes <c>aifactory.gateway.traffic.weight</c>: each model's weights per version, desired (the policy in force)
/// and observed (what this gateway routes by), so a dashboard shows a rollout's progress and a version that never
/// gets its share.
/// </summary>
public sealed class TrafficWeightsGauge(IMeterFactory meterFactory, TrafficPolicies policies, ObservedTrafficView traffic) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        meterFactory.Create(GatewayMetrics.MeterName).CreateObservableGauge("aifactory.gateway.traffic.weight", Measure, unit: null,
            "Percent of a model's traffic per version: desired (the policy in force) and observed (what this gateway routes by now).");
        return Task.CompletedTask;
    }

    private IEnumerable<Measurement<int>> Measure()
    {
        foreach (var policy in policies.AllInForce)
        {
            var observed = traffic.Observe(policy.Model)?.Weights ?? [];
            foreach (var version in policy.Weights.Select(weight => weight.Version).Union(observed.Select(weight => weight.Version)))
            {
                yield return Weight(policy.Model, version, "desired", policy.Weights.FirstOrDefault(weight => weight.Version == version).Percent);
                yield return Weight(policy.Model, version, "observed", observed.FirstOrDefault(weight => weight.Version == version).Percent);
            }
        }
    }

    private static Measurement<int> Weight(string model, int version, string kind, int percent) => new(percent,
        new KeyValuePair<string, object?>("model", model),
        new KeyValuePair<string, object?>("version", version.ToString(CultureInfo.InvariantCulture)),
        new KeyValuePair<string, object?>("kind", kind));

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
