using System.Diagnostics.CodeAnalysis;

namespace AiFactory.Gateway.Authentication;

/// <summary>
/// A map of at most <see cref="Capacity"/> entries that drops the least recently used one to make room: what the
/// gateway remembers about callers stays bounded whatever they send. Thread-safe: one lock around a dictionary
/// lookup and a list splice; a full map reuses the node it evicts, so a steady flood allocates no nodes.
/// </summary>
public sealed class BoundedLru<TKey, TValue> where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _nodes = [];
    private readonly LinkedList<(TKey Key, TValue Value)> _recency = []; // most recently used first
    private readonly Lock _lock = new();

    public BoundedLru(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Count;
            }
        }
    }

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(key, out var node))
            {
                MarkUsed(node);
                value = node.Value.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    public void Set(TKey key, TValue value)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(key, out var node))
            {
                node.Value = (key, value);
                MarkUsed(node);
                return;
            }

            Add(key, value);
        }
    }

    /// <summary>The value for <paramref name="key"/>, made by <paramref name="create"/> (under the lock: keep it cheap) when there is none.</summary>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(key, out var node))
            {
                MarkUsed(node);
                return node.Value.Value;
            }

            var value = create(key);
            Add(key, value);
            return value;
        }
    }

    public bool Remove(TKey key)
    {
        lock (_lock)
        {
            if (!_nodes.Remove(key, out var node))
            {
                return false;
            }

            _recency.Remove(node);
            return true;
        }
    }

    private void Add(TKey key, TValue value)
    {
        if (_nodes.Count < Capacity)
        {
            _nodes[key] = _recency.AddFirst((key, value));
            return;
        }

        var evicted = _recency.Last!;
        _nodes.Remove(evicted.Value.Key);
        evicted.Value = (key, value);
        MarkUsed(evicted);
        _nodes[key] = evicted;
    }

    private void MarkUsed(LinkedListNode<(TKey Key, TValue Value)> node)
    {
        if (node != _recency.First)
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
        }
    }
}
