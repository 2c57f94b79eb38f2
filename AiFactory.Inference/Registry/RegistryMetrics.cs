using System.Diagnostics.Metrics;
using AiFactory.Inference.Telemetry;

namespace AiFactory.Inference.Registry;

/// <summary>What the reconciler does, as <c>aifactory.inference.registry.*</c> metrics (on the inference meter).</summary>
public sealed class RegistryMetrics
{
    private readonly Counter<long> _syncs;
    private readonly Counter<long> _downloads;
    private readonly Counter<long> _downloadedBytes;
    private readonly Counter<long> _rejected;

    public RegistryMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(InferenceMetrics.MeterName);
        _syncs = meter.CreateCounter<long>("aifactory.inference.registry.sync", "{sync}",
            "Reconciliations with the registry, by outcome (ok, partial: some version could not be served yet, database_unavailable, failed)");
        _downloads = meter.CreateCounter<long>("aifactory.inference.registry.downloads", "{download}",
            "Artifact downloads, by outcome (ok, storage_unavailable, not_found, integrity_failed, failed)");
        _downloadedBytes = meter.CreateCounter<long>("aifactory.inference.registry.download.bytes", "By",
            "Artifact bytes downloaded and verified into the local cache");
        _rejected = meter.CreateCounter<long>("aifactory.inference.registry.rejected", "{version}",
            "Desired versions this replica refused to serve, by reason (invalid_entry, config, load)");
    }

    public void Synced(string outcome) => _syncs.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Downloaded(string outcome, long bytes = 0)
    {
        _downloads.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (bytes > 0)
        {
            _downloadedBytes.Add(bytes);
        }
    }

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
