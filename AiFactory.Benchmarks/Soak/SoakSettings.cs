using System.Globalization;

namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// <c>--soak [--minutes 10] [--load 0.8] [--warmup-minutes 1] [--replicas 2]</c>: the measured minutes after a
/// warm-up at the same load, the load as a share of the capacity measured first, and the inference replicas.
/// </summary>
public sealed record SoakSettings(double Minutes, double Load, double WarmupMinutes, int Replicas)
{
    public TimeSpan Duration => TimeSpan.FromMinutes(Minutes);

    public TimeSpan Warmup => TimeSpan.FromMinutes(WarmupMinutes);

    /// <summary>Reads the soak's options; a value out of range is an error that names the option.</summary>
    public static SoakSettings Parse(Func<string, string?> argument)
    {
        var settings = new SoakSettings(Number("--minutes", 10), Number("--load", 0.8), Number("--warmup-minutes", 1), (int)Number("--replicas", 2));
        return settings switch
        {
            { Minutes: <= 0 } => throw new ArgumentException($"--minutes {settings.Minutes}: must be above 0"),
            { Load: <= 0 or > 1 } => throw new ArgumentException($"--load {settings.Load}: must be above 0 and at most 1 (a share of the measured capacity)"),
            { WarmupMinutes: < 0 } => throw new ArgumentException($"--warmup-minutes {settings.WarmupMinutes}: must be 0 or more"),
            { Replicas: < 1 } => throw new ArgumentException($"--replicas {settings.Replicas}: must be at least 1"),
            _ => settings,
        };

        double Number(string name, double fallback) =>
            argument(name) is { } value ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;
    }
}
