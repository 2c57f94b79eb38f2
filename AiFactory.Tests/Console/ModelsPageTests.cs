extern alias console;

using AiFactory.Tests.Infrastructure;
using Bunit;
using console::AiFactory.Dashboard.Components.Pages;
using console::AiFactory.Dashboard.Gateway;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>bUnit: the Models page when the gateway cannot be reached still renders, says so, and keeps its upload form.</summary>
public sealed class ModelsPageTests : BunitContext
{
    public ModelsPageTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Fact]
    public void An_unreachable_gateway_is_an_error_on_the_page_not_a_broken_page()
    {
        // A real client to a port nothing listens on: the failure the console meets when the gateway is down.
        var nowhere = new Uri($"http://127.0.0.1:{S3rverProcess.FreePort()}/");
        Services.AddSingleton(new AdminApiClient(new HttpClient { BaseAddress = nowhere }, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)));

        var page = Render<Models>();

        page.WaitForAssertion(() => Assert.StartsWith("The gateway could not be reached:", page.Find("[data-testid=api-error]").TextContent.Trim()),
            TimeSpan.FromSeconds(15));
        Assert.NotNull(page.Find("[data-testid=upload-submit]"));
        Assert.Empty(page.FindAll("[data-testid=models-empty]"));
    }
}
