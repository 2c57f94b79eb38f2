extern alias gateway;

using gateway::AiFactory.Gateway.Traffic;

namespace AiFactory.Tests.Gateway.Traffic;

/// <summary>Which version a caller that names none gets: its sticky point against the bands of the weights.</summary>
public sealed class StickyRoutingTests
{
    [Fact]
    public void The_bands_are_laid_out_in_ascending_version_order_each_weight_times_100_wide()
    {
        VersionWeight[] weights = [new(1, 90), new(2, 10)];

        Assert.Equal(1, StickyRouting.Pick(weights, 0));
        Assert.Equal(1, StickyRouting.Pick(weights, 8999));
        Assert.Equal(2, StickyRouting.Pick(weights, 9000));
        Assert.Equal(2, StickyRouting.Pick(weights, 9999));
    }

    [Fact]
    public void A_version_at_0_percent_has_an_empty_band_and_is_never_picked()
    {
        VersionWeight[] weights = [new(1, 50), new(2, 0), new(3, 50)];

        Assert.Equal(1, StickyRouting.Pick(weights, 4999));
        Assert.Equal(3, StickyRouting.Pick(weights, 5000));
        Assert.DoesNotContain(2, Enumerable.Range(0, StickyRouting.Points).Select(point => StickyRouting.Pick(weights, point)));
    }

    [Fact]
    public void The_point_is_the_first_8_bytes_of_the_sha256_of_key_id_newline_model_big_endian_modulo_10000()
    {
        // Computed independently: python3 -c "import hashlib; h = hashlib.sha256(b'bootstrap\ntext-direction').digest();
        // print(int.from_bytes(h[:8], 'big') % 10000)"
        Assert.Equal(9874, StickyRouting.PointOf("bootstrap", "text-direction"));
        Assert.Equal(3488, StickyRouting.PointOf("0f8fad5bd9cb469fa16570867728950e", "text-detection"));
    }

    [Fact]
    public void A_caller_stays_on_its_version_while_the_weights_stay()
    {
        VersionWeight[] weights = [new(1, 70), new(2, 30)];
        var keys = RandomKeyIds(seed: 7, 500);

        var first = keys.Select(key => StickyRouting.Pick(weights, StickyRouting.PointOf(key, "m"))).ToList();
        var again = keys.Select(key => StickyRouting.Pick(weights, StickyRouting.PointOf(key, "m"))).ToList();

        Assert.Equal(first, again);
        Assert.Contains(1, first);
        Assert.Contains(2, first);
    }

    [Fact]
    public void Raising_a_canary_moves_callers_from_the_stable_version_to_the_canary_only()
    {
        var keys = RandomKeyIds(seed: 11, 2000);
        var points = keys.Select(key => StickyRouting.PointOf(key, "m")).ToList();

        var at10 = points.Select(point => StickyRouting.Pick([new(1, 90), new(2, 10)], point)).ToList();
        var at50 = points.Select(point => StickyRouting.Pick([new(1, 50), new(2, 50)], point)).ToList();

        // Every caller already on the canary stays there as it grows.
        Assert.All(at10.Zip(at50), pair => Assert.True(pair.First == 1 || pair.Second == 2));
    }

    [Theory]
    [InlineData(90, 10)]
    [InlineData(50, 50)]
    [InlineData(99, 1)]
    public void Across_10000_random_key_ids_each_share_matches_its_weight_within_binomial_tolerance(int stable, int canary)
    {
        const int keys = 10_000;
        VersionWeight[] weights = [new(1, stable), new(2, canary)];

        var onCanary = RandomKeyIds(seed: stable, keys).Count(key => StickyRouting.Pick(weights, StickyRouting.PointOf(key, "text-direction")) == 2);

        // 4.5 standard deviations of the binomial: a correct hash fails this about once in 150,000 runs.
        var p = canary / 100.0;
        var tolerance = 4.5 * Math.Sqrt(keys * p * (1 - p));
        Assert.InRange(onCanary, keys * p - tolerance, keys * p + tolerance);
    }

    [Fact]
    public void Three_versions_share_the_callers_by_their_weights()
    {
        const int keys = 10_000;
        VersionWeight[] weights = [new(1, 50), new(2, 30), new(3, 20)];

        var counts = RandomKeyIds(seed: 3, keys).GroupBy(key => StickyRouting.Pick(weights, StickyRouting.PointOf(key, "m")))
            .ToDictionary(group => group.Key, group => group.Count());

        foreach (var weight in weights)
        {
            var p = weight.Percent / 100.0;
            var tolerance = 4.5 * Math.Sqrt(keys * p * (1 - p));
            Assert.InRange(counts[weight.Version], keys * p - tolerance, keys * p + tolerance);
        }
    }

    /// <summary>Key ids as the gateway makes them (32 hex digits), reproducible from the seed.</summary>
    private static List<string> RandomKeyIds(int seed, int count)
    {
        var random = new Random(seed);
        var bytes = new byte[16];
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            random.NextBytes(bytes);
            return Convert.ToHexStringLower(bytes);
        })];
    }
}
