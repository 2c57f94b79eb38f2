using AiFactory.Inference.Optimization;

namespace AiFactory.Inference.Extensions;

public static class OptimizationExtensions
{
    /// <summary>
    /// Registers what a replica needs to run transforms for the registry (<c>POST /internal/optimize</c>): the
    /// optimizer and its calibration inputs, with their options (section <c>Optimization</c>).
    /// </summary>
    public static IHostApplicationBuilder AddModelOptimization(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OptimizationOptions>()
            .BindConfiguration(OptimizationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Add(OptimizationJsonContext.Default));
        builder.Services.AddSingleton<CalibrationSource>().AddSingleton<ModelOptimizer>();
        return builder;
    }
}
