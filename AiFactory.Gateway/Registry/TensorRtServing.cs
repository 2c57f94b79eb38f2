using System.Text.Json.Nodes;
using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Overview;
using AiFactory.Optimization.Transforms;

namespace AiFactory.Gateway.Registry;

/// <summary>
/// <c>tensorrt</c>: a serving configuration, not a file. The new version shares its parent's bytes; its config is the
/// parent's with <c>execution_provider: tensorrt</c> and the provider's settings (FP16 or INT8, engine and timing
/// caches in the replica's cache folder). Replicas build TensorRT engines at load: one exact optimization profile per
/// prepared shape (the config's <c>max_batch_size</c>, <c>inputs</c> dims and <c>warmup_shapes</c>), and for the shared
/// session the explicit min/opt/max profile derived here (<see cref="TensorRtProfiles"/>). Refused where
/// no replica can use the TensorRT provider: the version could never serve.
/// </summary>
public sealed class TensorRtServing(RegistryStore registry, ReplicaProbe replicas, ValidationWorker validation)
{
    /// <summary>ONNX Runtime's name for the provider, as replicas report what they can use (<c>GET /internal/status</c>).</summary>
    public const string Provider = "TensorrtExecutionProvider";

    /// <exception cref="RequestRefusedException">422 no replica can use TensorRT; 404/409 as <see cref="RegistryStore.AddDerivedVersionAsync"/>.</exception>
    public async Task<VersionRecord> DeriveAsync(VersionRecord parent, TransformRequest request, string keyId, CancellationToken cancellationToken)
    {
        var readings = await replicas.ReadAllAsync(cancellationToken);
        if (Refusal(readings.Select(reading => reading.View).ToList()) is { } reason)
        {
            throw new RequestRefusedException(StatusCodes.Status422UnprocessableEntity, reason);
        }

        var precision = request.Precision ?? "fp16";
        var (config, noProfile) = Config(parent.Config, precision, parent.Signature);
        var details = new JsonObject { ["execution_provider"] = "tensorrt", ["precision"] = precision, ["profile"] = noProfile is null ? "explicit" : $"none: {noProfile}" };
        var lineage = VersionOptimizer.Lineage(request, details, "none");
        var added = await registry.AddDerivedVersionAsync(
            new RegistryStore.DerivedVersion(parent.Model, parent.Version, parent.Sha256, parent.SizeBytes, parent.StorageKey, config, lineage, keyId),
            cancellationToken);
        validation.Wake();
        return added;
    }

    /// <summary>Why a <c>tensorrt</c> version cannot be made now, naming what each replica can use; null when one can use TensorRT.</summary>
    public static string? Refusal(IReadOnlyList<ReplicaView> replicas) =>
        replicas.Any(replica => replica.Providers?.Contains(Provider) == true)
            ? null
            : "no inference replica can use the TensorRT execution provider (it needs an NVIDIA GPU with TensorRT's libraries): "
              + (replicas.Count == 0
                  ? "no replica answered"
                  : string.Join("; ", replicas.Select(replica => $"{replica.Name}: {(replica.Reachable ? string.Join(", ", replica.Providers ?? []) : $"unreachable ({replica.Error})")}")));

    /// <summary>
    /// The parent's config with the TensorRT provider: FP16 or INT8, caches on, and the shared session's optimization
    /// profile derived from the config and <paramref name="signature"/> (<see cref="TensorRtProfiles"/>; else the reason
    /// there is none); its other settings (batching, warmup shapes, inputs) kept, as they shape the prepared shapes'
    /// engines. CUDA graphs are the CUDA provider's and go.
    /// </summary>
    public static (string Config, string? NoProfile) Config(string parentConfig, string precision, string? signature)
    {
        var config = JsonNode.Parse(parentConfig) as JsonObject ?? new JsonObject();
        config["execution_provider"] = "tensorrt";
        config.Remove("cuda_graphs");
        var settings = config["tensorrt"] as JsonObject ?? new JsonObject();
        settings["fp16"] = precision == "fp16";
        settings["int8"] = precision == "int8";
        settings["engine_cache"] = true;
        settings["timing_cache"] = true;
        var (profile, noProfile) = TensorRtProfiles.Derive(config, signature);
        settings["profile"] = profile;
        if (profile is null)
        {
            settings.Remove("profile");
        }

        config["tensorrt"] = settings.DeepClone();
        return (config.ToJsonString(), noProfile);
    }
}
