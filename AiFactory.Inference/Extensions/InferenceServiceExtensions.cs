using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;

namespace AiFactory.Inference.Extensions;

public static class InferenceServiceExtensions
{
    /// <summary>Registers the model repository, ONNX Runtime sessions and the protocol services.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModelRepositoryOptions>()
            .BindConfiguration(ModelRepositoryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<InferenceOptions>()
            .BindConfiguration(InferenceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ProtocolJsonContext.Default));

        builder.Services.AddSingleton<ModelRepository>();
        builder.Services.AddSingleton<SessionFactory>();
        builder.Services.AddSingleton<InferenceService>();
        builder.Services.AddHostedService<ModelRepositoryLoader>();

        builder.Services.AddHealthChecks().AddCheck<ModelRepositoryHealthCheck>("model-repository");

        return builder;
    }
}
