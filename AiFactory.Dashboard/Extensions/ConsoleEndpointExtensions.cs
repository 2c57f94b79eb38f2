using AiFactory.Dashboard.Components;
using AiFactory.Dashboard.Usage;
using AiFactory.Dashboard.Gateway;
using AiFactory.Dashboard.Authentication;
using AiFactory.Dashboard.Models;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace AiFactory.Dashboard.Extensions;

public static class ConsoleEndpointExtensions
{
    /// <summary>
    /// The console's pages (signed-in operators only, but the sign-in page), sign-out, and the usage CSV export. Static
    /// assets are anonymous: the sign-in page needs its styles, and they hold nothing but the build's own files.
    /// </summary>
    public static WebApplication MapConsole(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization();

        if (app.Services.GetRequiredService<IOptions<ConsoleOidcOptions>>().Value.Enabled)
        {
            app.MapGet("/signin/oidc", (string? returnUrl) => TypedResults.Challenge(
                new AuthenticationProperties { RedirectUri = ConsoleUrls.LocalOrRoot(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme])).AllowAnonymous();
        }

        app.MapPost("/signout", async (HttpContext context) =>
        {
            await context.SignOutAsync();
            return TypedResults.LocalRedirect("/signin");
        }).RequireAuthorization();

        app.MapGet("/usage/export.csv", async (DateTimeOffset from, DateTimeOffset to, AdminApiClient admin, CancellationToken cancellationToken) =>
        {
            try
            {
                var report = await admin.UsageAsync(from, to, cancellationToken);
                return Results.File(System.Text.Encoding.UTF8.GetBytes(UsageCsv.Write(report.Rows)), "text/csv", "usage.csv");
            }
            catch (GatewayApiException e)
            {
                return Results.Problem(e.Describe(), statusCode: StatusCodes.Status502BadGateway);
            }
        }).RequireAuthorization();
        app.MapModelUpload();
        return app;
    }
}
