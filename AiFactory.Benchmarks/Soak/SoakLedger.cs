namespace AiFactory.Benchmarks.Soak;

/// <summary>
/// Everything the client saw during the soak, recorded as each request ends: outcomes per kind, errors, latency of
/// the valid requests per minute of the run, cache hits, and what the gateway's usage meter should have counted
/// (key, model, status).
/// </summary>
public sealed class SoakLedger
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Dictionary<string, long>> _outcomes = [];
    private readonly Dictionary<(string Kind, string Outcome), long> _errors = [];
    private readonly Dictionary<int, MinuteRecord> _minutes = [];
    private readonly Dictionary<UsageCell, long> _metered = [];
    private readonly Dictionary<(string Kind, string Outcome), string> _messages = [];
    private readonly HashSet<string> _hostileKinds = [];

    /// <summary>One minute of the run: its valid requests' latencies, and the errors and hostile requests in it.</summary>
    public sealed class MinuteRecord
    {
        public List<double> ValidLatenciesMs { get; } = [];
        public long ValidErrors { get; set; }
        public long Hostile { get; set; }
        public long HostileErrors { get; set; }
    }

    public long Valid { get; private set; }
    public long ValidErrors { get; private set; }
    public long Hostile { get; private set; }
    public long HostileErrors { get; private set; }
    public long CacheHits { get; private set; }

    /// <summary>Requests with a key the gateway never issued: they are refused before metering, so no usage.</summary>
    public long Unmetered { get; private set; }

    /// <summary>Requests of a metered key that got no answer (timeout, transport failure): what the meter counted is unknown.</summary>
    public long Indeterminate { get; private set; }

    /// <summary>Arrivals the client could not send because too many requests were already in flight.</summary>
    public long Dropped { get; private set; }

    /// <summary>
    /// Records the answer to a request of <paramref name="request"/>'s kind, sent with key <paramref name="keyId"/>,
    /// due <paramref name="due"/> after the start, that took <paramref name="latency"/> from its due time.
    /// </summary>
    public void Record(SoakRequest request, string? keyId, Answer answer, TimeSpan due, TimeSpan latency) =>
        Record(request, keyId, answer, due, latency, sent: true);

    /// <summary>
    /// Records an arrival that was not sent because too many requests were already in flight (the client's cap):
    /// an error of its kind, which the gateway never saw.
    /// </summary>
    public void RecordDropped(SoakRequest request, TimeSpan due) =>
        Record(request, keyId: null, Answer.Failed("not sent: too many requests in flight"), due, TimeSpan.Zero, sent: false);

    private void Record(SoakRequest request, string? keyId, Answer answer, TimeSpan due, TimeSpan latency, bool sent)
    {
        var error = request.IsError(answer);
        lock (_gate)
        {
            var outcomes = _outcomes.TryGetValue(request.Name, out var found) ? found : _outcomes[request.Name] = [];
            outcomes[answer.Outcome] = outcomes.GetValueOrDefault(answer.Outcome) + 1;
            if (answer.Message is { } message)
            {
                _messages.TryAdd((request.Name, answer.Outcome), message);
            }

            if (error)
            {
                _errors[(request.Name, answer.Outcome)] = _errors.GetValueOrDefault((request.Name, answer.Outcome)) + 1;
            }

            var minute = MinuteOf(due);
            if (request.Hostile)
            {
                _hostileKinds.Add(request.Name);
                (Hostile, minute.Hostile) = (Hostile + 1, minute.Hostile + 1);
                if (error)
                {
                    (HostileErrors, minute.HostileErrors) = (HostileErrors + 1, minute.HostileErrors + 1);
                }
            }
            else
            {
                Valid++;
                if (sent)
                {
                    minute.ValidLatenciesMs.Add(latency.TotalMilliseconds);
                }

                if (error)
                {
                    (ValidErrors, minute.ValidErrors) = (ValidErrors + 1, minute.ValidErrors + 1);
                }
            }

            CacheHits += answer.CacheHit ? 1 : 0;
            if (!sent)
            {
                Dropped++;
            }
            else if (!request.Metered)
            {
                Unmetered++;
            }
            else if (answer.MeteredStatus is { } status)
            {
                var cell = new UsageCell(keyId!, request.MeteredModel, status);
                _metered[cell] = _metered.GetValueOrDefault(cell) + 1;
            }
            else
            {
                Indeterminate++;
            }
        }
    }

    /// <summary>Outcomes by request kind, then by outcome.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, long>> Outcomes
    {
        get { lock (_gate) { return _outcomes.ToDictionary(kind => kind.Key, kind => new Dictionary<string, long>(kind.Value)); } }
    }

    /// <summary>Errors by request kind and outcome.</summary>
    public IReadOnlyDictionary<(string Kind, string Outcome), long> Errors
    {
        get { lock (_gate) { return new Dictionary<(string, string), long>(_errors); } }
    }

    /// <summary>The names of the hostile kinds recorded.</summary>
    public IReadOnlySet<string> HostileKinds
    {
        get { lock (_gate) { return new HashSet<string>(_hostileKinds); } }
    }

    /// <summary>The first message the server gave for each kind and outcome that had one.</summary>
    public IReadOnlyDictionary<(string Kind, string Outcome), string> Messages
    {
        get { lock (_gate) { return new Dictionary<(string, string), string>(_messages); } }
    }

    /// <summary>The minutes of the run, in order.</summary>
    public IReadOnlyList<(int Minute, MinuteRecord Record)> Minutes
    {
        get { lock (_gate) { return [.. _minutes.OrderBy(minute => minute.Key).Select(minute => (minute.Key, minute.Value))]; } }
    }

    /// <summary>What the usage meter should have counted: requests by key id, model and status.</summary>
    public IReadOnlyDictionary<UsageCell, long> Metered
    {
        get { lock (_gate) { return new Dictionary<UsageCell, long>(_metered); } }
    }

    private MinuteRecord MinuteOf(TimeSpan due)
    {
        var minute = (int)due.TotalMinutes;
        return _minutes.TryGetValue(minute, out var record) ? record : _minutes[minute] = new MinuteRecord();
    }
}
