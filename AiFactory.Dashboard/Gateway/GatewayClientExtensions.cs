using Microsoft.Extensions.Options;

namespace AiFactory.Dashboard.Gateway;

public static class GatewayClientExtensions
{
    /// <summary>Registers <see cref="GatewayClient"/> against the configured gateway address.</summary>
    public static IHostApplicationBuilder AddGatewayClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHttpClient<GatewayClient>((services, http) =>
        {
            var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
            http.BaseAddress = options.BaseAddress;
            http.DefaultRequestHeaders.Authorization = new("Bearer", options.ApiKey);
        });
        return builder;
    }
}
