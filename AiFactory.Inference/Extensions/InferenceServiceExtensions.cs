using AiFactory.Inference.Grpc;
using AiFactory.Inference.Ocr;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Protocol.Rest;
using AiFactory.Inference.Registry;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Inference.Telemetry;
using AiFactory.Inference.Validation;

namespace AiFactory.Inference.Extensions;

public static class InferenceServiceExtensions
{
    /// <summary>The connection the AppHost gives every replica for the object store.</summary>
    public const string StorageConnectionName = "storage";

    /// <summary>Registers the model repository (fed by its folder or by the registry), ONNX Runtime sessions and the protocol services.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModelRepositoryOptions>()
            .BindConfiguration(ModelRepositoryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<RegistryOptions>()
            .BindConfiguration(RegistryOptions.SectionName)
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
            options.SerializerOptions.TypeInfoResolverChain.Insert(3, ValidationJsonContext.Default);
            options.SerializerOptions.TypeInfoResolverChain.Insert(4, Analysis.AnalysisJsonContext.Default);
        });

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ModelRepository>();
        builder.Services.AddSingleton<SessionFactory>();
        builder.Services.AddSingleton<InferenceService>();
        builder.Services.AddSingleton<InferenceMetrics>();
        builder.Services.AddSingleton<QueueDepthObserver>().AddHostedService(services => services.GetRequiredService<QueueDepthObserver>());
        builder.Services.AddSingleton<ModelRepositoryLoader>();
        // What is loaded comes from the registry, or else from the repository folder (the benchmark, in-process tests).
        if (builder.Configuration.GetValue<bool>($"{RegistryOptions.SectionName}:{nameof(RegistryOptions.Enabled)}"))
        {
            builder.AddRegistryReconciler();
        }
        else
        {
            builder.Services.AddHostedService(services => services.GetRequiredService<ModelRepositoryLoader>())
                .AddSingleton<IModelControl>(services => services.GetRequiredService<ModelRepositoryLoader>());

            // The registry's artifacts, for validation (registry mode adds the store itself). Without a store (the
            // benchmark, a model folder of one's own) the replica serves its folder and answers validation requests 503.
            if (builder.Configuration.GetConnectionString(StorageConnectionName) is { Length: > 0 })
            {
                builder.AddObjectStore(StorageConnectionName);
            }
        }

        builder.Services.AddHostedService<LoadedModelsGauge>();

        builder.Services.AddOptions<ValidationOptions>().BindConfiguration(ValidationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<OcrOptions>().BindConfiguration(OcrOptions.SectionName);
        builder.Services.AddSingleton<OcrEvaluationSets>().AddSingleton<TaskMetricsMeter>().AddSingleton<ModelValidator>();
        builder.AddModelOptimization();
        builder.Services.AddSingleton<Analysis.ConfigAnalyzer>();

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
