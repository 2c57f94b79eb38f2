using AiFactory.Dashboard.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace AiFactory.Dashboard.Gateway;

/// <summary>
/// Makes the scope's <see cref="AdminApiClient"/>: the pooled handler chain of the named client (service discovery,
/// resilience) behind an <see cref="OperatorCredentialHandler"/> that belongs to this scope.
/// </summary>
public static class AdminApiClientFactory
{
    public static AdminApiClient Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var credential = new OperatorCredentialHandler(services.GetService<AuthenticationStateProvider>(), services.GetRequiredService<IHttpContextAccessor>())
        {
            InnerHandler = services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(AdminApiClient.HttpClientName),
        };
        // The inner handler is pooled by the factory: this client must not dispose it. Each call has its own deadline
        // (an upload a longer one), so the client itself has none.
        return new AdminApiClient(new HttpClient(credential, disposeHandler: false) { BaseAddress = options.BaseAddress, Timeout = Timeout.InfiniteTimeSpan },
            options.Timeout, options.UploadTimeout);
    }
}
