using System.Net;
using System.Text;
using AiFactory.Tests.Infrastructure;
using AiFactory.Tests.Registry;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>
/// The operators' console in a real browser (Debian's chromium through Playwright) against the real application: each
/// page's main flow, sessions across a console restart, accessibility (axe) and screenshots of every page at 1280 and
/// 390 px (TestResults/screenshots).
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed partial class ConsoleBrowserTests(AppHostFixture fixture, ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private Uri Console => fixture.App.GetEndpoint("dashboard", "http");

    [Fact]
    public async Task Sign_in_is_refused_with_a_wrong_key_and_accepted_with_the_right_one_which_never_reaches_the_browser()
    {
        var key = await OperatorKeyAsync("operator-signin");
        await using var context = await browser.NewContextAsync(Console);
        var page = await context.NewPageAsync();
        var received = RecordEverythingReceived(page);

        // Anonymous: sent to the sign-in page, which refuses a key the gateway does not know, with the gateway's message.
        await page.GotoAsync("/keys");
        // The cookie handler's challenge keeps where the operator was going.
        await page.WaitForURLAsync(url => url.Contains("/signin?ReturnUrl=%2Fkeys"));
        await page.FillAsync("#key", "afk_0123456789abcdef_notarealsecretnotarealsecretnotarealsecret00");
        await page.ClickAsync("[data-testid=signin-submit]");
        await Expect(page.Locator("[data-testid=signin-error]")).ToHaveTextAsync("the API key is not valid");
        Assert.Equal("", await page.InputValueAsync("#key"));

        await page.FillAsync("#key", key.Key);
        await page.ClickAsync("[data-testid=signin-submit]");
        await page.WaitForURLAsync(url => url.EndsWith("/keys"));
        await Expect(page.Locator("[data-testid=operator]")).ToContainTextAsync($"operator-signin ({key.Id})");
        await Expect(page.Locator("[data-testid=keys]")).ToContainTextAsync(key.Id);

        var everything = string.Join('\n', received) + await page.ContentAsync()
                         + string.Join('\n', (await context.CookiesAsync()).Select(cookie => $"{cookie.Name}={cookie.Value}"));
        Assert.DoesNotContain(key.Key, everything);
        Assert.DoesNotContain(key.Key.Split('_')[^1], everything); // not even the secret part
        Assert.Contains("aifactory-console", (await context.CookiesAsync()).Select(cookie => cookie.Name));
    }

    [Fact]
    public async Task An_operator_creates_a_key_uses_it_through_the_gateway_revokes_it_and_sees_it_refused()
    {
        var (key, context, page) = await SignedInAsync("operator-keys", "/keys");
        await using var _ = context;

        await page.GetByLabel("Name").FillAsync("ocr-team-from-console");
        await page.ClickAsync("[data-testid=key-create]");
        var created = (await page.Locator("[data-testid=created-key-value]").TextContentAsync())!.Trim();
        var id = (await page.Locator("[data-testid=created-key-id]").TextContentAsync())!.Trim();
        await Expect(page.Locator("[data-testid=keys]")).ToContainTextAsync(id);

        using (var client = fixture.CreateGatewayClient(created))
        {
            using var answer = await InferAsync(client, seed: 11);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        await page.ClickAsync($"[data-testid=revoke-{id}]");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).Last.ClickAsync();
        await Expect(page.Locator("[data-testid=keys]")).Not.ToContainTextAsync(id);

        using (var client = fixture.CreateGatewayClient(created))
        {
            using var refused = await InferAsync(client, seed: 12);
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{(int)refused.StatusCode} {body}");
            Assert.Equal("the API key has been revoked", OipRequests.ErrorOf(body).GetString());
        }
    }

    [Fact]
    public async Task Usage_shows_the_requests_just_made_and_exports_them_as_csv()
    {
        var key = await OperatorKeyAsync("operator-usage");
        using var admin = fixture.CreateGatewayClient();
        var (callerId, caller) = await admin.CreateKeyAsync("usage-caller", ["infer"]);
        using (var client = fixture.CreateGatewayClient(caller))
        {
            for (var i = 0; i < 3; i++)
            {
                using var answer = await InferAsync(client, seed: 20 + i);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }
        }

        // Gateways write usage every few seconds; the seeder's validation gives the version its latency profile.
        await admin.WaitForUsageAsync(callerId, 3, TimeSpan.FromSeconds(30));
        await RegistrySeedTests.WaitForSeedAsync(admin, SampleModels.TextDirection);
        await using var context = await browser.NewContextAsync(Console);
        var page = await context.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, key.Key, "/usage");

        var row = page.Locator("[data-testid=usage-rows] tbody tr", new() { HasText = callerId });
        await Expect(row).ToContainTextAsync(SampleModels.TextDirection);
        Assert.Equal(["200", "3"], (await row.Locator("td").AllTextContentsAsync()).Skip(3).Select(cell => cell.Trim()));
        await Expect(page.Locator("[data-testid=cost-formula]")).ToContainTextAsync("node price per hour");
        // The registry is there: the capacity is the validation profile's, and nothing says it is unknown.
        var cost = page.Locator("[data-testid=cost-lines] tbody tr", new() { HasText = SampleModels.TextDirection }).First;
        await Expect(cost).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"\d+(\.\d)? items/s"));
        await Expect(page.Locator("[data-testid=capacity-note]")).ToHaveCountAsync(0);

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-testid=usage-export]"));
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains($"{callerId},{SampleModels.TextDirection},1,200,3", csv);
    }

    [Fact]
    public async Task An_operator_uploads_two_versions_splits_traffic_90_10_rolls_back_and_the_audit_log_names_them_for_each_change()
    {
        var (key, context, page) = await SignedInAsync("operator-models", "/models");
        await using var _ = context;
        var model = RegistryClient.NewModelName("console");

        // Upload through the page: the file streams browser → console → gateway; each version validates, then is ready.
        foreach (var version in new[] { 1, 2 })
        {
            await page.GetByLabel("Model (new or existing)").FillAsync(model);
            await page.SetInputFilesAsync("#upload-file", new FilePayload
            {
                Name = $"v{version}.onnx", MimeType = "application/octet-stream",
                Buffer = OnnxModelWriter.WithDocString(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), $"console upload {version}"),
            });
            await page.ClickAsync("[data-testid=upload-submit]");
            await Expect(page.Locator("[data-testid=upload-done]")).ToContainTextAsync($"Version {version} of {model}");
            await Expect(page.Locator("[data-testid=upload-progress]")).ToHaveAttributeAsync("aria-valuenow", "100");
            await Expect(page.Locator($"[data-testid=state-{model}-{version}]")).ToHaveTextAsync("ready",
                new() { Timeout = (float)RegistryClient.ValidationTimeout.TotalMilliseconds });
        }

        // Promote v1 to 100 %, then 90/10: the editor refuses a split that does not sum to 100 until it does.
        await page.ClickAsync($"[data-testid=promote-{model}-1]");
        await ApplyTrafficAsync(page);
        await Expect(page.Locator($"[data-testid=desired-{model}]")).ToHaveTextAsync("v1 100% / v2 0%");
        await page.ClickAsync($"[data-testid=edit-traffic-{model}]");
        await page.GetByLabel("v2 %").FillAsync("10");
        await page.GetByLabel("v2 %").PressAsync("Tab");
        await Expect(page.Locator("[data-testid=traffic-problem]").First).ToHaveTextAsync("the weights sum to 110%, not 100%");
        await Expect(page.Locator("[data-testid=traffic-apply]")).ToBeDisabledAsync();
        await page.GetByLabel("v1 %").FillAsync("90");
        await page.GetByLabel("v1 %").PressAsync("Tab");
        await page.GetByLabel("Reason (goes into the audit log)").FillAsync("canary v2 from the console");
        await Expect(page.Locator("[data-testid=traffic-preview]")).ToHaveTextAsync("v1 90%v2 10%");
        await ApplyTrafficAsync(page);
        await Expect(page.Locator($"[data-testid=desired-{model}]")).ToHaveTextAsync("v1 90% / v2 10%");
        // Observed once every ready replica serves both versions (the gateway's replica state monitor).
        await Expect(page.Locator($"[data-testid=observed-{model}]")).ToHaveTextAsync("v1 90% / v2 10%");

        // Roll back: a reason is required, then a confirmation.
        await page.ClickAsync($"[data-testid=rollback-{model}]");
        await Expect(page.Locator("[data-testid=rollback-confirm]")).ToBeDisabledAsync();
        await page.GetByLabel("Why roll back? (goes into the audit log)").FillAsync("v2 answers worse");
        await page.ClickAsync("[data-testid=rollback-confirm]");
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Roll back", Exact = true }).ClickAsync();
        await Expect(page.Locator($"[data-testid=desired-{model}]")).ToHaveTextAsync("v1 100% / v2 0%");

        await page.GotoAsync("/audit");
        // The first, unfiltered load ends before the filter is set, so it cannot land after the filtered one.
        await Expect(page.Locator("[data-testid=audit-entries]")).ToBeVisibleAsync();
        await page.GetByLabel("Model").FillAsync(model);
        await page.ClickAsync("[data-testid=audit-apply]");
        var entries = page.Locator("[data-testid=audit-entries] tbody tr");
        foreach (var (action, count) in new[] { ("model.version.upload", 2), ("traffic.set", 2), ("traffic.rollback", 1) })
        {
            var rows = entries.Filter(new() { HasText = action });
            await Expect(rows).ToHaveCountAsync(count);
            foreach (var row in await rows.AllAsync())
            {
                await Expect(row).ToContainTextAsync(key.Id);
            }
        }

        await Expect(entries.Filter(new() { HasText = "traffic.rollback" })).ToContainTextAsync("v2 answers worse");
    }

    [Fact]
    public async Task A_version_that_fails_validation_shows_invalid_with_its_reason_and_the_page_still_works()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("console-bad");
        await admin.UploadAsync(model, Encoding.UTF8.GetBytes("this is not an ONNX model"));
        var version = await admin.WaitForValidationAsync(model, 1);
        Assert.Equal("invalid", version["state"]!.GetValue<string>());
        var (key, context, page) = await SignedInAsync("operator-invalid", "/models");
        await using var _ = context;

        await Expect(page.Locator($"[data-testid=state-{model}-1]")).ToHaveTextAsync("invalid");
        await Expect(page.Locator($"[data-testid=versions-{model}]")).ToContainTextAsync(version["state_reason"]!.GetValue<string>());
        await Expect(page.Locator($"[data-testid=observed-{model}]")).ToHaveTextAsync("not observed yet");
        Assert.Equal(0, await page.Locator($"[data-testid=promote-{model}-1]").CountAsync());
        await Expect(page.Locator($"[data-testid=rollback-{model}]")).ToBeDisabledAsync();
    }

    /// <summary>
    /// A versions table wider than the page, with nothing in it to focus (an invalid version has no actions), scrolls
    /// in a region the keyboard reaches. CI once failed axe's scrollable-region-focusable at 1280 px on such a table,
    /// depending on which models earlier tests had left. At 980 px (the table layout, the navigation rail open) any versions table is wider than the page.
    /// </summary>
    [Fact]
    public async Task A_versions_table_wider_than_the_page_scrolls_in_a_region_the_keyboard_reaches()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("console-wide");
        await admin.UploadAsync(model, Encoding.UTF8.GetBytes("not an ONNX model either"));
        Assert.Equal("invalid", (await admin.WaitForValidationAsync(model, 1))["state"]!.GetValue<string>());
        var (key, context, page) = await SignedInAsync("operator-wide", "/models", width: 980);
        await using var _ = context;
        await Expect(page.Locator($"[data-testid=state-{model}-1]")).ToHaveTextAsync("invalid");

        var region = page.GetByRole(AriaRole.Region, new() { Name = $"Versions of {model}" });
        Assert.True(await region.EvaluateAsync<bool>("element => element.scrollWidth > element.clientWidth"), "the table fits: nothing to check");
        await ConsoleBrowser.AssertAccessibleAsync(page, "models at 980 px");
        await region.FocusAsync();
        for (var i = 0; i < 5; i++)
        {
            await page.Keyboard.PressAsync("ArrowRight");
        }

        await Expect(region).ToBeFocusedAsync();
        Assert.True(await region.EvaluateAsync<double>("element => element.scrollLeft") > 0, "the arrow key did not scroll the focused region");
    }

    [Fact]
    public async Task An_upload_to_the_console_without_the_pages_header_is_refused_so_no_other_site_can_upload_in_an_operators_name()
    {
        var (key, context, page) = await SignedInAsync("operator-forged", "/models");
        await using var _ = context;
        var model = RegistryClient.NewModelName("forged");

        // The signed-in browser's cookie goes along, as it would with a form another site posts.
        var answer = await context.APIRequest.PostAsync($"/models/{model}/upload", new()
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/octet-stream" },
            DataByte = OnnxModelWriter.Chain("x", "y", "FP32", "Identity"),
        });

        Assert.Equal(400, answer.Status);
        Assert.Equal("an upload comes from the console's Models page (the X-AiFactory-Console header is missing)",
            OipRequests.ErrorOf(await answer.TextAsync()).GetString());
        using var admin = fixture.CreateGatewayClient();
        using var missing = await admin.GetAsync($"/api/admin/models/{model}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task The_overview_shows_both_replicas_and_live_charts_that_update_without_a_reload()
    {
        var (key, context, page) = await SignedInAsync("operator-overview", "/");
        await using var _ = context;

        var replicas = page.Locator("[data-testid=replicas] tbody tr");
        await Expect(replicas).ToHaveCountAsync(AppHostFixture.InferenceReplicas.Length);
        foreach (var replica in await replicas.AllAsync())
        {
            await Expect(replica).ToContainTextAsync("ready");
            await Expect(replica).ToContainTextAsync("CPUExecutionProvider");
            await Expect(replica).ToContainTextAsync($"{SampleModels.TextDirection}/1 ready");
        }

        using (var client = fixture.CreateGatewayClient())
        {
            for (var i = 0; i < 5; i++)
            {
                using var answer = await InferAsync(client, seed: 40 + i);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }
        }

        await Expect(page.Locator("[data-testid=charts] svg")).ToHaveCountAsync(6, new() { Timeout = 30_000 });
        var updated = page.Locator("[data-testid=overview-updated]");
        var before = await updated.TextContentAsync();
        var navigations = 0;
        page.FrameNavigated += (_, frame) => navigations += frame == page.MainFrame ? 1 : 0;
        // A new sample every 5 s, fetched every 5 s by the page itself.
        await Expect(updated).Not.ToHaveTextAsync(before!, new() { Timeout = 30_000 });
        await Expect(page.Locator("[data-testid=chart-latest]").First).Not.ToHaveTextAsync("Latest: —", new() { Timeout = 30_000 });
        Assert.Equal(0, navigations);
    }

    [Fact]
    public async Task A_session_survives_the_console_being_killed_and_started_again_in_the_same_browser()
    {
        var (key, context, signedIn) = await SignedInAsync("operator-restart", "/keys");
        await using var _ = context;
        // The tab closes first: its circuit's reconnect would reload it when the console comes back, racing (and
        // aborting) the visit below. The browser, and its cookie, stay.
        await signedIn.CloseAsync();

        // The console dies the hard way (SIGKILL), as a crashed or rescheduled pod does, so nothing it held in memory
        // survives; then it starts again. (Aspire's stop command drains gracefully, and on a loaded machine it gives
        // up before the drain ends: see ReplicaRoutingTests.)
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            using var console = fixture.ProcessOf("dashboard");
            console.Kill(entireProcessTree: true);
            await fixture.App.ResourceNotifications.WaitForResourceAsync("dashboard", KnownResourceStates.TerminalStates, cancellation.Token);
        }
        finally
        {
            await fixture.StartResourceAsync("dashboard", cancellation.Token);
        }

        var page = await context.NewPageAsync();
        await page.GotoAsync("/keys");
        Assert.EndsWith("/keys", page.Url);
        await Expect(page.Locator("[data-testid=operator]")).ToContainTextAsync(key.Id);
        await Expect(page.Locator("[data-testid=keys]")).ToContainTextAsync(key.Id);
    }

    public static TheoryData<string, string> Pages => new()
    {
        { "overview", "/" }, { "models", "/models" }, { "try-it", "/try" }, { "api-keys", "/keys" }, { "usage", "/usage" }, { "audit", "/audit" },
    };

    [Fact]
    public async Task Every_page_is_accessible_and_photographed_at_both_widths()
    {
        var key = await OperatorKeyAsync("operator-screens");
        // Traffic first, so the pictures show pages with data in them, as an operator of a working platform sees them.
        using var admin = fixture.CreateGatewayClient();
        var (callerId, caller) = await admin.CreateKeyAsync("screenshots-caller", ["infer"]);
        using (var client = fixture.CreateGatewayClient(caller))
        {
            for (var i = 0; i < 6; i++)
            {
                using var answer = await InferAsync(client, seed: 60 + i);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }
        }

        await admin.WaitForUsageAsync(callerId, 6, TimeSpan.FromSeconds(30));
        foreach (var width in ConsoleBrowser.Widths)
        {
            await using var context = await browser.NewContextAsync(Console, width);
            var page = await context.NewPageAsync();
            await page.GotoAsync("/signin");
            await ConsoleBrowser.ScreenshotAsync(page, "signin", width);
            await ConsoleBrowser.AssertAccessibleAsync(page, $"signin at {width} px");
            await ConsoleBrowser.SignInAsync(page, key.Key);

            foreach (var (name, path) in Pages.Select(row => ((string)row[0], (string)row[1])))
            {
                await page.GotoAsync(path);
                await Expect(page.Locator("h1")).ToBeVisibleAsync();
                // Data loaded (or its error shown) before the picture and the check.
                await Expect(page.Locator(".mud-progress-linear")).ToHaveCountAsync(0);
                await ConsoleBrowser.ScreenshotAsync(page, name, width);
                await ConsoleBrowser.AssertAccessibleAsync(page, $"{name} at {width} px");
            }
        }
    }

    [Fact]
    public async Task At_390_px_the_navigation_rail_collapses_to_a_menu_that_opens()
    {
        var (key, context, page) = await SignedInAsync("operator-narrow", "/", width: 390);
        await using var _ = context;

        // Below the breakpoint the drawer closes itself once the page knows its width; the menu button opens it.
        var drawer = page.Locator(".mud-drawer");
        await Expect(drawer).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--closed"));
        var usage = page.GetByRole(AriaRole.Link, new() { Name = "Usage and cost" });
        await Expect(usage).Not.ToBeInViewportAsync();
        await page.ClickAsync("[data-testid=nav-toggle]");
        await Expect(drawer).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-drawer--open"));
        await Expect(usage).ToBeInViewportAsync();
        await usage.ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/usage"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Usage and cost");
    }

    [Fact]
    public async Task The_theme_toggle_is_remembered_across_visits()
    {
        var (key, context, page) = await SignedInAsync("operator-theme", "/models");
        await using var _ = context;

        await page.ClickAsync("[data-testid=theme-toggle]");
        await Expect(page.GetByLabel("Use the light theme")).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(page.GetByLabel("Use the light theme")).ToBeVisibleAsync();
    }

    /// <summary>Applies the traffic editor's split and confirms it in the dialog.</summary>
    private static async Task ApplyTrafficAsync(IPage page)
    {
        await page.ClickAsync("[data-testid=traffic-apply]");
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Apply", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-testid=traffic-editor]")).ToHaveCountAsync(0);
    }

    /// <summary>A fresh browser context signed in as a new operator, on <paramref name="path"/>.</summary>
    private async Task<((string Id, string Key) Key, IBrowserContext Context, IPage Page)> SignedInAsync(string operatorName, string path, int width = 1280)
    {
        var key = await OperatorKeyAsync(operatorName);
        var context = await browser.NewContextAsync(Console, width);
        var page = await context.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, key.Key, path);
        return (key, context, page);
    }

    /// <summary>An admin key of the operator's own, so the audit log (and the page header) name them.</summary>
    private async Task<(string Id, string Key)> OperatorKeyAsync(string name)
    {
        using var admin = fixture.CreateGatewayClient();
        return await admin.CreateKeyAsync(name, ["admin"]);
    }

    private static Task<HttpResponseMessage> InferAsync(HttpClient client, int seed)
    {
        var content = OipRequests.Json("x", [1, 3, 48, 192], SampleModels.RandomImage(seed, 1, 3, 48, 192));
        return client.PostAsync($"/v2/models/{SampleModels.TextDirection}/infer", content).WaitAsync(Timeout);
    }

    /// <summary>Every response body and WebSocket frame (the Blazor circuit) the page receives, as text.</summary>
    private static List<string> RecordEverythingReceived(IPage page)
    {
        var received = new List<string>();
        page.Response += async (_, response) =>
        {
            try
            {
                var body = await response.BodyAsync();
                lock (received)
                {
                    received.Add(Encoding.UTF8.GetString(body));
                    received.Add(string.Join('\n', response.Headers.Select(header => $"{header.Key}: {header.Value}")));
                }
            }
            catch (PlaywrightException)
            {
                // A redirect has no body.
            }
        };
        page.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) =>
        {
            lock (received)
            {
                received.Add(frame.Text ?? Encoding.UTF8.GetString(frame.Binary ?? []));
            }
        };
        return received;
    }
}
