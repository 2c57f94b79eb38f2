using AiFactory.Gateway.Analysis;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Extensions;

public static class AnalyzerServiceExtensions
{
    /// <summary>Registers the model analyzer: its store of analyses and the client that asks a replica to run one.</summary>
    public static IHostApplicationBuilder AddModelAnalyzer(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AnalyzerOptions>().BindConfiguration(AnalyzerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AnalysisStore>();
        // An analysis lasts minutes and must never be repeated behind the caller's back: no standard resilience handler
        // (10 s attempts, retries), as for validation. Removing it is marked experimental (EXTEXP0001).
#pragma warning disable EXTEXP0001
        services.AddHttpClient(AnalyzerClient.ClientName, (provider, http) =>
            {
                http.BaseAddress = new Uri("http://inference");
                http.Timeout = provider.GetRequiredService<IOptions<AnalyzerOptions>>().Value.Timeout;
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        // A singleton: it holds the gateway's one-analysis-at-a-time gate.
        services.AddSingleton<AnalyzerClient>();
        return builder;
    }
}
