using AiFactory.Inference.Repository;

namespace AiFactory.Inference.Telemetry;

/// <summary>Publishes <c>aifactory.inference.models</c>: model versions by state and execution provider.</summary>
public sealed class LoadedModelsGauge(InferenceMetrics metrics, ModelRepository repository) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        metrics.Meter.CreateObservableGauge("aifactory.inference.models", () => repository.Entries
            .GroupBy(entry => (entry.State, Provider: entry.Model?.Provider ?? "none"))
            .Select(group => new System.Diagnostics.Metrics.Measurement<int>(group.Count(),
                new KeyValuePair<string, object?>("state", group.Key.State),
                new KeyValuePair<string, object?>("provider", group.Key.Provider))),
            "{model}", "Model versions by state and execution provider");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
