using System.Globalization;

namespace AiFactory.Tests.Infrastructure;

/// <summary>Reads a service's <c>/metrics</c> (the Prometheus text format) as a test needs it.</summary>
public static class PrometheusText
{
    /// <summary>
    /// The sum of every series of <paramref name="metric"/> whose labels contain each of <paramref name="labels"/>
    /// (<c>result="unknown"</c>); 0 when there is none.
    /// </summary>
    public static double Sum(string text, string metric, params string[] labels)
    {
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not ('{' or ' '))
            {
                continue;
            }

            var end = line.IndexOf('}') is var close and >= 0 ? close + 1 : metric.Length;
            if (labels.All(label => line.AsSpan(0, end).Contains(label, StringComparison.Ordinal)))
            {
                sum += double.Parse(line[end..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    /// <summary>Scrapes <paramref name="client"/>'s service; the exporter answers from a copy at most 300 ms old, so callers that compare two scrapes wait in between.</summary>
    public static async Task<string> ScrapeAsync(HttpClient client) =>
        await client.GetStringAsync("/metrics").WaitAsync(TimeSpan.FromSeconds(30));
}
