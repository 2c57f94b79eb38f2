using AiFactory.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AiFactory.Tests.OperatorConsole;

public sealed partial class ConsoleBrowserTests
{
    [Fact]
    public async Task An_operator_optimizes_a_ready_version_from_its_row_and_the_new_version_validates_with_its_lineage()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("console-optimize");
        await admin.UploadReadyAsync(model, RegistryClient.SampleVariant("console optimize"), RegistryClient.SampleConfig);
        var (key, context, page) = await SignedInAsync("operator-optimize", "/models");
        await using var _ = context;

        await page.ClickAsync($"[data-testid=optimize-{model}-1]");
        var dialog = page.Locator(".mud-dialog");
        await Expect(dialog).ToContainTextAsync($"Optimize v1 of {model}");
        await dialog.GetByText("extended (CPU)").ClickAsync();
        await dialog.Locator("[data-testid=optimize-submit]").ClickAsync();

        await Expect(page.Locator($"[data-testid=lineage-{model}-2]")).ToHaveTextAsync("v2 ← v1 by graph");
        await Expect(page.Locator($"[data-testid=state-{model}-2]")).ToHaveTextAsync("ready",
            new() { Timeout = (float)RegistryClient.ValidationTimeout.TotalMilliseconds });
        await Expect(page.Locator($"[data-testid=lineage-{model}-1]")).ToHaveTextAsync("uploaded");
        var version = JsonNodeOf(await admin.GetStringAsync($"/api/admin/models/{model}/versions/2"));
        Assert.Equal(("graph", "extended", key.Id), (version["lineage"]!["transform"]!["name"]!.GetValue<string>(),
            version["lineage"]!["transform"]!["options"]!["level"]!.GetValue<string>(), version["created_by"]!.GetValue<string>()));
    }

    private static System.Text.Json.Nodes.JsonNode JsonNodeOf(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!;
}
