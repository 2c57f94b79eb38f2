using System.Globalization;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>
/// The Models page's canary comparison in a real browser: under load on a 90/10 split whose canary fails, one series
/// per version in each chart, both with traffic, and the canary's error rate above the stable version's, live; at
/// 1280 and 390 px, light and dark (axe on both).
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class CanaryComparisonBrowserTests(AppHostFixture fixture, ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task Under_load_on_a_90_10_split_the_charts_show_both_versions_and_the_failing_canarys_higher_error_rate()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var canary = await FailingCanary.StartAsync(fixture, "canary-console", canaryPercent: 10, deadline.Token);
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync("operator-canary", ["admin"]);
        var console = fixture.App.GetEndpoint("dashboard", "http");
        await using var wide = await browser.NewContextAsync(console);
        var page = await wide.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, key, "/models");
        var section = page.Locator($"[data-testid=canary-{canary.Model}]");
        await Expect(section.Locator($"[data-testid=canary-none-{canary.Model}]")).Not.ToBeAttachedAsync();
        await Expect(section.Locator("[data-testid=canary-weights]")).ToHaveTextAsync("Weights: v1 90% / v2 10% · stable v1");
        await Expect(section.Locator("[data-testid=canary-thresholds]")).ToContainTextAsync("by more than 5 points");

        // Each worker is one caller, sticky to its version; a short pause keeps the load to what this machine can share.
        var load = ContinuousLoad.Start(2, async (worker, cancellationToken) =>
        {
            await Task.Delay(20, cancellationToken);
            return await canary.InferAsync(worker + 1, Environment.TickCount, cancellationToken);
        });
        double stableErrors, canaryErrors;
        try
        {
            // The page refreshes itself every 5 s from the gateway's samples (every 5 s).
            await Expect(section.Locator("[data-testid=canary-requests-2]")).Not.ToHaveTextAsync("0", new() { Timeout = 60_000 });
            await Expect(section.Locator("[data-testid=canary-error-rate-2]")).Not.ToHaveTextAsync("—");
        }
        finally
        {
            var samples = await load.StopAsync();
            Assert.Contains(samples, sample => sample is { Status: 200, Version: "1" });
            Assert.Contains(samples, sample => sample is { Status: 503, Version: "2" });
        }

        await Expect(section.Locator("[data-testid=canary-charts] svg")).ToHaveCountAsync(3);
        foreach (var chart in await section.Locator("[data-testid=canary-charts] .mud-paper").AllAsync())
        {
            // One series per version, named by it, in each chart's legend.
            await Expect(chart.Locator(".mud-chart-legend-item")).ToContainTextAsync(["v1", "v2"]);
        }

        Assert.True(long.Parse(await section.Locator("[data-testid=canary-requests-1]").TextContentAsync() ?? "", CultureInfo.InvariantCulture) > 0);
        Assert.True(long.Parse(await section.Locator("[data-testid=canary-requests-2]").TextContentAsync() ?? "", CultureInfo.InvariantCulture) > 0);
        stableErrors = Percent(await section.Locator("[data-testid=canary-error-rate-1]").TextContentAsync());
        canaryErrors = Percent(await section.Locator("[data-testid=canary-error-rate-2]").TextContentAsync());
        Assert.True(canaryErrors > stableErrors, $"the canary's error rate {canaryErrors} % is not above the stable version's {stableErrors} %");
        await ConsoleBrowser.AssertAccessibleAsync(page, "models with a canary");
        await section.ScrollIntoViewIfNeededAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "models-canary", 1280);

        // At 390 px the charts stack and stay within the page.
        await using var narrow = await browser.NewContextAsync(console, 390);
        var phone = await narrow.NewPageAsync();
        await ConsoleBrowser.SignInAsync(phone, key, "/models");
        var charts = phone.Locator($"[data-testid=canary-{canary.Model}] [data-testid=canary-charts] svg");
        await Expect(charts).ToHaveCountAsync(3);
        foreach (var chart in await charts.AllAsync())
        {
            var box = await chart.BoundingBoxAsync();
            Assert.True(box is { Width: > 100 } && box.X >= 0 && box.X + box.Width <= 390, $"a chart at 390 px spans {box?.X}..{box?.X + box?.Width}");
        }

        await ConsoleBrowser.ScreenshotAsync(phone, "models-canary", 390);

        // The dark theme: the same charts, still readable.
        await phone.ClickAsync("[data-testid=theme-toggle]");
        await Expect(phone.GetByLabel("Use the light theme")).ToBeVisibleAsync();
        await Expect(charts).ToHaveCountAsync(3);
        await ConsoleBrowser.AssertAccessibleAsync(phone, "models with a canary, dark, 390 px");
        await ConsoleBrowser.ScreenshotAsync(phone, "models-canary-dark", 390);
    }

    private static double Percent(string? text) =>
        double.Parse((text ?? "").Replace("%", "").Trim(), CultureInfo.InvariantCulture);
}
