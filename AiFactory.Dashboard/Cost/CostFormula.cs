namespace AiFactory.Dashboard.Cost;

/// <summary>
/// Cost per 1,000 inferences of a model version on one node: the node's hourly price over the inferences it completes
/// in an hour at its measured capacity (items per second from the version's validation latency profile, its best batch
/// size). A node busy with this version alone; a node half idle costs twice as much per inference.
/// </summary>
public static class CostFormula
{
    public const string Text = "cost per 1,000 inferences = node price per hour ÷ (capacity in items per second × 3,600) × 1,000";

    /// <summary>The cost; null when the capacity is unknown or not positive (nothing to divide by).</summary>
    public static decimal? PerThousandInferences(decimal nodeHourPrice, double? itemsPerSecond)
    {
        if (itemsPerSecond is not > 0 || double.IsInfinity(itemsPerSecond.Value))
        {
            return null;
        }

        return nodeHourPrice / ((decimal)itemsPerSecond.Value * 3600m) * 1000m;
    }

    /// <summary>The best capacity a latency profile measured (its items per second at any batch size); null for none.</summary>
    public static double? Capacity(IEnumerable<double> itemsPerSecondByBatchSize)
    {
        double? best = null;
        foreach (var value in itemsPerSecondByBatchSize)
        {
            if (value > 0 && !double.IsInfinity(value) && (best is null || value > best))
            {
                best = value;
            }
        }

        return best;
    }
}
