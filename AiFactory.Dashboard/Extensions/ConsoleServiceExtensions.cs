using AiFactory.Dashboard.Authentication;
using AiFactory.Dashboard.Cost;
using AiFactory.Dashboard.Gateway;
using AiFactory.Dashboard.TryIt;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using StackExchange.Redis;

namespace AiFactory.Dashboard.Extensions;

public static class ConsoleServiceExtensions
{
    /// <summary>The Redis connection the AppHost gives the console: sessions and data-protection keys.</summary>
    public const string CacheConnectionName = "cache";

    private const long MaxCircuitMessageBytes = 1024 * 1024;

    private const string DataProtectionKeys = "aifactory:console:data-protection-keys";

    /// <summary>
    /// Registers the console: Blazor with interactive server rendering and MudBlazor, operators' sign-in (an admin
    /// API key checked by the gateway, or OpenID Connect when <c>Console:Oidc</c> is set) with sessions kept in Redis,
    /// and the admin API client that calls with the operator's credential.
    /// </summary>
    public static IHostApplicationBuilder AddConsoleServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CostOptions>().BindConfiguration(CostOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TryItOptions>().BindConfiguration(TryItOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RecognitionDictionarySource>();
        services.AddOptions<ConsoleOidcOptions>().BindConfiguration(ConsoleOidcOptions.SectionName);
        services.AddSingleton(TimeProvider.System);
        // Circuits hold WebSockets open until the host gives up on them; their browsers reconnect to the next process
        // (the session is in Redis), so a stop need not wait the default 30 s.
        services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(5));

        // Try it's tensor editor sends its text over the circuit: 1 MiB a message rather than SignalR's 32 KiB.
        services.AddRazorComponents().AddInteractiveServerComponents().AddHubOptions(options => options.MaximumReceiveMessageSize = MaxCircuitMessageBytes);
        services.AddMudServices();
        services.AddCascadingAuthenticationState();
        services.AddHttpContextAccessor();

        builder.AddRedisClient(CacheConnectionName, configureOptions: options => options.AbortOnConnectFail = false);
        // Keys in Redis, not on the pod's disk: a session protected by one replica is read by every other, and by the
        // next process after a restart.
        services.AddDataProtection().SetApplicationName("aifactory-console");
        services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((options, redis) =>
            options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), DataProtectionKeys));
        services.AddSingleton<RedisTicketStore>().AddSingleton<IPostConfigureOptions<CookieAuthenticationOptions>, CookieSessionStoreSetup>();

        builder.AddOperatorAuthentication();

        // Admin calls are not retried: a retried POST could create a key twice, and the operator sees every error.
        services.AddHttpClient(AdminApiClient.HttpClientName);
        services.Configure<HttpStandardResilienceOptions>($"{AdminApiClient.HttpClientName}-standard",
            options => options.Retry.DisableFor(HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete));
        services.AddScoped(AdminApiClientFactory.Create);
        return builder;
    }

    private static void AddOperatorAuthentication(this IHostApplicationBuilder builder)
    {
        var oidc = builder.Configuration.GetSection(ConsoleOidcOptions.SectionName).Get<ConsoleOidcOptions>() ?? new ConsoleOidcOptions();
        var authentication = builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                // With an identity provider, an anonymous visit goes there; otherwise to the key sign-in page.
                options.DefaultChallengeScheme = oidc.Enabled ? OpenIdConnectDefaults.AuthenticationScheme : CookieAuthenticationDefaults.AuthenticationScheme;
            })
            .AddCookie(cookie =>
            {
                cookie.LoginPath = "/signin";
                cookie.LogoutPath = "/signout";
                cookie.AccessDeniedPath = "/signin";
                cookie.Cookie.Name = "aifactory-console";
                cookie.Cookie.HttpOnly = true;
                // Lax: the first request after an identity provider's redirect must carry it.
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
            });
        if (oidc.Enabled)
        {
            authentication.AddOpenIdConnect(options => ConfigureOidc(options, oidc));
        }

        builder.Services.AddAuthorization();
    }

    private static void ConfigureOidc(OpenIdConnectOptions options, ConsoleOidcOptions oidc)
    {
        options.Authority = oidc.Authority!.ToString();
        options.ClientId = oidc.ClientId;
        options.ClientSecret = oidc.ClientSecret;
        options.ResponseType = "code";
        options.UsePkce = true;
        options.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        options.MapInboundClaims = false;
        options.SaveTokens = false; // the access token goes into the (server-side) principal below, nowhere else
        foreach (var scope in oidc.Scopes)
        {
            options.Scope.Add(scope);
        }

        options.Events.OnTokenValidated = context =>
        {
            var subject = context.Principal!.FindFirst("sub")?.Value ?? "";
            var name = context.Principal.FindFirst("preferred_username")?.Value ?? context.Principal.FindFirst("name")?.Value ?? subject;
            var accessToken = context.TokenEndpointResponse?.AccessToken;
            if (string.IsNullOrEmpty(accessToken))
            {
                context.Fail("the identity provider returned no access token for the gateway");
                return Task.CompletedTask;
            }

            // The gateway decides what the token may do; the console shows it as the gateway will name it.
            context.Principal = OperatorClaims.Principal(new Caller($"oidc:{subject}", name, ["admin"]), accessToken,
                CookieAuthenticationDefaults.AuthenticationScheme);
            return Task.CompletedTask;
        };
    }
}
