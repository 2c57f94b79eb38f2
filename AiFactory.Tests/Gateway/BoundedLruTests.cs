extern alias gateway;

using gateway::AiFactory.Gateway.Authentication;

namespace AiFactory.Tests.Gateway;

/// <summary>The bounded map behind the key cache and the failed-authentication throttle.</summary>
public sealed class BoundedLruTests
{
    [Fact]
    public void Past_its_capacity_it_forgets_the_least_recently_used_entry()
    {
        var lru = new BoundedLru<string, int>(capacity: 3);
        lru.Set("a", 1);
        lru.Set("b", 2);
        lru.Set("c", 3);
        Assert.True(lru.TryGetValue("a", out _)); // a is now the most recently used; b the least

        lru.Set("d", 4);

        Assert.Equal(3, lru.Count);
        Assert.False(lru.TryGetValue("b", out _));
        Assert.True(lru.TryGetValue("a", out var a) && a == 1);
        Assert.True(lru.TryGetValue("c", out var c) && c == 3);
        Assert.True(lru.TryGetValue("d", out var d) && d == 4);
    }

    [Fact]
    public void A_flood_of_new_keys_never_holds_more_than_the_capacity()
    {
        var lru = new BoundedLru<int, int>(capacity: 100);

        for (var i = 0; i < 100_000; i++)
        {
            Assert.Equal(i, lru.GetOrAdd(i, key => key));
        }

        Assert.Equal(100, lru.Count);
        Assert.True(lru.TryGetValue(99_999, out _));
        Assert.False(lru.TryGetValue(99_899, out _));
    }

    [Fact]
    public void Setting_an_existing_key_replaces_its_value_and_removing_frees_its_place()
    {
        var lru = new BoundedLru<string, int>(capacity: 2);
        lru.Set("a", 1);
        lru.Set("a", 2);
        lru.Set("b", 3);
        Assert.True(lru.TryGetValue("a", out var a) && a == 2);

        Assert.True(lru.Remove("a"));
        lru.Set("c", 4);

        Assert.True(lru.TryGetValue("b", out _));
        Assert.True(lru.TryGetValue("c", out _));
        Assert.False(lru.Remove("a"));
    }
}
