using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Debian's chromium driven by Playwright (its own browser download cannot work here), launched once for the console's
/// browser tests: headless, no sandbox (the tests run as root), and none of chromium's background connections, which
/// this machine's closed network refuses. Each test gets a fresh context (its own cookies and storage).
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public static readonly int[] Widths = [1280, 390];

    private IPlaywright _playwright = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: test artefacts, beside the run's results.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(RepositoryPaths.Root, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: scripts/install-prerequisites.sh installs Debian's chromium");
        // Conditions, not sleeps: the console answers within this on a machine busy with the whole application.
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
        }).WaitAsync(TimeSpan.FromMinutes(1));
    }

    /// <summary>A fresh context (cookies, storage) on the console at <paramref name="console"/>, <paramref name="width"/> pixels wide.</summary>
    public async Task<IBrowserContext> NewContextAsync(Uri console, int width = 1280)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = console.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = width > 600 ? 800 : 844 },
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(30_000);
        return context;
    }

    /// <summary>Signs in on the sign-in page with <paramref name="key"/> and waits to leave it.</summary>
    public static async Task SignInAsync(IPage page, string key, string path = "/")
    {
        await page.GotoAsync(path);
        await page.WaitForURLAsync(url => url.Contains("/signin"));
        await page.FillAsync("#key", key);
        await page.ClickAsync("[data-testid=signin-submit]");
        await page.WaitForURLAsync(url => !url.Contains("/signin"));
        await Assertions.Expect(page.Locator("[data-testid=operator]")).ToBeVisibleAsync();
    }

    public static async Task ScreenshotAsync(IPage page, string name, int width)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, $"{name}-{width}.png"), FullPage = true });
    }

    /// <summary>axe-core on the page as it is now: no serious or critical violation.</summary>
    public static async Task AssertAccessibleAsync(IPage page, string name)
    {
        var results = await page.RunAxe();
        var violations = results.Violations.Where(violation => violation.Impact is "serious" or "critical")
            .Select(violation => $"{violation.Id} ({violation.Impact}): {violation.Help} at {string.Join(" | ", violation.Nodes.Select(node => node.Html))}")
            .ToList();
        Assert.True(violations.Count == 0, $"{name}: {string.Join("\n", violations)}");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
