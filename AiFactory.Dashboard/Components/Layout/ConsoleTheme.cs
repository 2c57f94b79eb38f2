using MudBlazor;

namespace AiFactory.Dashboard.Components.Layout;

/// <summary>
/// MudBlazor's palette with the light theme's colours darkened where they colour text (alerts, links, buttons), and the
/// dark theme's lightened, so every page meets WCAG AA contrast in both (the browser tests check it with axe).
/// </summary>
public static class ConsoleTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00695c",
            Info = "#01579b",
            Success = "#1b5e20",
            Warning = "#7a4f01",
            Error = "#b71c1c",
            AppbarBackground = "#283593",
        },
        // MudBlazor's dark primary (#776be7) and secondary text (white at 50 %) stay under 4.5:1 on its dark surfaces.
        PaletteDark = new PaletteDark
        {
            Primary = "#9fa8da",
            TextSecondary = "rgba(255,255,255,0.70)",
        },
    };
}
