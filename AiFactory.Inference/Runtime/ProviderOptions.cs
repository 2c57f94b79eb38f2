using AiFactory.Inference.Repository;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// The options ONNX Runtime's CUDA and TensorRT providers get for a model, by their own names: what
/// <see cref="SessionFactory"/> sets, apart from loading the providers (so it can be checked where they cannot load).
/// </summary>
public static class ProviderOptions
{
    /// <summary>The CUDA provider on device 0, with the model's convolution search, and ONNX Runtime's CUDA graph when asked for.</summary>
    public static Dictionary<string, string> Cuda(ModelConfig config, bool cudaGraph)
    {
        var options = new Dictionary<string, string>
        {
            ["device_id"] = "0",
            ["cudnn_conv_algo_search"] = CudnnConvAlgoSearch(config.CudnnConvAlgoSearch),
        };
        if (cudaGraph)
        {
            options["enable_cuda_graph"] = "1";
        }

        return options;
    }

    /// <summary>
    /// The TensorRT provider on device 0 with the model's <c>tensorrt</c> settings: engines and timings cached in
    /// <paramref name="cacheFolder"/> (none: not cached), and an optimization profile when the shapes are known.
    /// </summary>
    public static Dictionary<string, string> TensorRt(ModelConfig config, string? cacheFolder, TensorRtProfile? profile)
    {
        var settings = config.TensorRt ?? new TensorRtConfig();
        var options = new Dictionary<string, string>
        {
            ["device_id"] = "0",
            ["trt_fp16_enable"] = settings.Fp16 ? "1" : "0",
            ["trt_int8_enable"] = settings.Int8 ? "1" : "0",
        };
        if (settings.MaxWorkspaceBytes > 0)
        {
            options["trt_max_workspace_size"] = settings.MaxWorkspaceBytes.ToString();
        }

        if (cacheFolder is not null && settings.EngineCache)
        {
            options["trt_engine_cache_enable"] = "1";
            options["trt_engine_cache_path"] = cacheFolder;
        }

        if (cacheFolder is not null && settings.TimingCache)
        {
            options["trt_timing_cache_enable"] = "1";
            options["trt_timing_cache_path"] = cacheFolder;
        }

        if (profile is not null)
        {
            options["trt_profile_min_shapes"] = profile.Min;
            options["trt_profile_opt_shapes"] = profile.Opt;
            options["trt_profile_max_shapes"] = profile.Max;
        }

        return options;
    }

    /// <summary>ONNX Runtime's names for <see cref="ModelConfig.CudnnConvAlgoSearch"/> (validated at load).</summary>
    internal static string CudnnConvAlgoSearch(string search) => search switch
    {
        "heuristic" => "HEURISTIC",
        "default" => "DEFAULT",
        _ => "EXHAUSTIVE",
    };
}

/// <summary>
/// A TensorRT optimization profile in the provider's syntax (<c>x:1x3x48x192,y:…</c>): the engine serves any shape
/// from <see cref="Min"/> to <see cref="Max"/> and is tuned for <see cref="Opt"/>. The server gives each prepared
/// shape's session a profile of exactly that shape, and the shared session the config's spanning profile
/// (<c>tensorrt.profile</c>) where it has one (else TensorRT builds for the shapes it meets).
/// </summary>
public sealed record TensorRtProfile(string Min, string Opt, string Max)
{
    /// <summary>The config's spanning profile, inputs in name order; null when it has none.</summary>
    public static TensorRtProfile? Spanning(TensorRtConfig? settings) => settings?.Profile is { } profile
        ? new(Format(profile.Min), Format(profile.Opt), Format(profile.Max))
        : null;

    private static string Format(Dictionary<string, long[]> shapes) =>
        string.Join(',', shapes.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}:{string.Join('x', pair.Value)}"));

    /// <summary>A profile of exactly one shape: the engine for one prepared shape.</summary>
    public static TensorRtProfile Exactly(IReadOnlyList<TensorSpec> inputs, long[][] shape) =>
        new(Format(inputs, shape), Format(inputs, shape), Format(inputs, shape));

    private static string Format(IReadOnlyList<TensorSpec> inputs, long[][] shape) =>
        string.Join(',', inputs.Select((spec, i) => $"{spec.Name}:{string.Join('x', shape[i])}"));
}
