extern alias console;

using Bunit;
using console::AiFactory.Dashboard.Components.Shared;
using console::AiFactory.Dashboard.Cost;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>bUnit: the usage page's cost table shows the formula, the prices it used, and each version's cost.</summary>
public sealed class CostTableTests : BunitContext
{
    public CostTableTests()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Fact]
    public void Shows_the_formula_the_prices_and_each_versions_cost_from_its_node_price_and_capacity()
    {
        var table = Render<CostTable>(parameters => parameters
            .Add(p => p.Prices, new CostOptions { CpuNodeHourPrice = 0.36m, GpuNodeHourPrice = 3.6m, Currency = "EUR" })
            .Add(p => p.Lines, [new CostLine("text-direction", "1", 2000, 100, OnGpu: false), new CostLine("text-detection", "1", 10, 1000, OnGpu: true)]));

        Assert.Equal(CostFormula.Text, table.Find("[data-testid=cost-formula]").TextContent.Trim());
        Assert.Contains("CPU 0.36 EUR per hour, GPU 3.60 EUR per hour", table.Find("[data-testid=cost-prices]").TextContent);
        var rows = table.FindAll("[data-testid=cost-lines] tbody tr");
        // CPU: 0.36 / (100 × 3600) × 1000 = 0.001 per 1,000, 0.002 for 2,000 requests; GPU: 3.6 / (1000 × 3600) × 1000 = 0.001.
        Assert.Equal(["text-direction", "1", "2000", "CPU", "100 items/s", "0.001 EUR", "0.002 EUR"], Cells(rows[0]));
        Assert.Equal(["text-detection", "1", "10", "GPU", "1000 items/s", "0.001 EUR", "0.00001 EUR"], Cells(rows[1]));
    }

    [Fact]
    public void A_version_without_a_validation_profile_says_capacity_unknown_and_costs_nothing_made_up()
    {
        var table = Render<CostTable>(parameters => parameters
            .Add(p => p.Prices, new CostOptions())
            .Add(p => p.Lines, [new CostLine("text-direction", "1", 5, null, OnGpu: false)])
            .Add(p => p.CapacityNote, "Capacity unknown: this gateway has no model registry yet"));

        Assert.Equal(["text-direction", "1", "5", "CPU", "capacity unknown", "—", "—"], Cells(table.FindAll("[data-testid=cost-lines] tbody tr")[0]));
        Assert.Contains("no model registry yet", table.Find("[data-testid=capacity-note]").TextContent);
    }

    private static string[] Cells(AngleSharp.Dom.IElement row) => [.. row.QuerySelectorAll("td").Select(cell => cell.TextContent.Trim())];
}
