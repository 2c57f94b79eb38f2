using AiFactory.Inference.Grpc;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Protocol.Rest;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;

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
        {
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ProtocolJsonContext.Default);
            options.SerializerOptions.TypeInfoResolverChain.Insert(1, Apis.StatisticsJsonContext.Default);
            options.SerializerOptions.TypeInfoResolverChain.Insert(2, Apis.ReplicaStatusJsonContext.Default);
        });

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ModelRepository>();
        builder.Services.AddSingleton<SessionFactory>();
        builder.Services.AddSingleton<InferenceService>();
        builder.Services.AddSingleton<InferenceMetrics>();
        builder.Services.AddSingleton<QueueDepthObserver>().AddHostedService(services => services.GetRequiredService<QueueDepthObserver>());
        builder.Services.AddSingleton<ModelRepositoryLoader>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ModelRepositoryLoader>());
        builder.Services.AddHostedService<LoadedModelsGauge>();

        builder.Services.AddGrpc(options =>
        {
            options.Interceptors.Add<InferenceErrorInterceptor>();
            options.MaxReceiveMessageSize = builder.Configuration.GetValue($"{InferenceOptions.SectionName}:MaxRequestBodyBytes", new InferenceOptions().MaxRequestBodyBytes);
            options.MaxSendMessageSize = null;
        });

        builder.Services.AddHealthChecks().AddCheck<ModelRepositoryHealthCheck>("model-repository");

        return builder;
    }
}
