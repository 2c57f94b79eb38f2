using System.Text.Json.Nodes;

namespace AiFactory.Benchmarks.Soak;

/// <summary>Everything one soak run measured, for <see cref="SoakReport"/>.</summary>
public sealed record SoakResult(
    SoakSettings Settings,
    string Command,
    DateTime Started,
    DateTime Ended,
    double Capacity,
    IReadOnlyList<CapacityRamp.Step> Ramp,
    double Rate,
    double RateLimitedRequestsPerSecond,
    long Arrivals,
    double MaxSendLagMs,
    SoakMix Mix,
    SoakLedger Ledger,
    IReadOnlyList<MemoryGrowth> Memory,
    ResourceWatch Watch,
    IReadOnlyList<UsageComparison> Usage,
    IReadOnlyDictionary<string, KeyRole> KeyRoles,
    string LoadBefore,
    string LoadAfter);

/// <summary>
/// The soak: the whole stack (inference replicas, gateway, Redis, PostgreSQL) under an open-loop load at a share of
/// its measured capacity for minutes, with a mix of keys, models, protocols, cache hits and 1 % hostile requests;
/// then errors, memory growth and usage against what was sent.
/// </summary>
public static class SoakBenchmark
{
    private static readonly TimeSpan CapacityStep = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    // Past this many requests in flight the client stops sending (and counts each arrival it drops as an error)
    // rather than grow without bound while the server stalls.
    private const int MaxInFlight = 2_000;

    public static async Task<SoakResult> RunAsync(SoakSettings settings, string command)
    {
        var loadBefore = ResourceWatch.MachineLoad();
        var replicas = new List<ServerProcess>();
        try
        {
            for (var i = 0; i < settings.Replicas; i++)
            {
                replicas.Add(await ServerProcess.StartSampleModelsAsync());
            }

            await using var stack = await GatewayStack.StartAsync(replicas);
            Console.WriteLine($"stack up: {replicas.Count} inference replica(s), gateway {stack.Http} (gRPC {stack.Grpc})");
            var result = await RunAsync(settings, command, stack, replicas);
            return result with { LoadBefore = loadBefore, LoadAfter = ResourceWatch.MachineLoad() };
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private static async Task<SoakResult> RunAsync(SoakSettings settings, string command, GatewayStack stack, IReadOnlyList<ServerProcess> replicas)
    {
        var requests = new SoakRequests();

        // The ramp has keys of its own, so that the soak's usage holds the soak's requests only.
        double capacity;
        IReadOnlyList<CapacityRamp.Step> ramp;
        using (var rampClient = new SoakClient(stack.Http, stack.Grpc, await KeysAsync(stack, "capacity", rateLimited: 1), RequestTimeout))
        {
            (capacity, ramp) = await CapacityRamp.RunAsync(rampClient, requests.Mix, CapacityStep);
        }

        var rate = settings.Load * capacity;
        // Half of what the rate-limited key is sent: about half its requests are refused, by design.
        var rateLimited = Math.Max(0.5, rate * SoakRequests.RateLimitedShare / 2);
        Console.WriteLine($"capacity {capacity:F1} requests/s; soak at {rate:F1} requests/s for {settings.WarmupMinutes} + {settings.Minutes} min, rate-limited key at {rateLimited:F2} requests/s");
        var keys = await KeysAsync(stack, "soak", rateLimited);
        using var client = new SoakClient(stack.Http, stack.Grpc, keys, RequestTimeout);

        var ledger = new SoakLedger();
        var watch = new ResourceWatch([
            .. stack.Processes,
            .. replicas.Select((replica, i) => new ProcessGroup($"inference-{i + 1}", () => [replica.ProcessId])),
            ProcessGroup.Self("benchmark client"),
        ]);
        var started = DateTime.UtcNow;
        var origin = TimeProvider.System.GetTimestamp();
        using var stopWatching = new CancellationTokenSource();
        var watching = watch.RunAsync(origin, settings.Warmup, stopWatching.Token);

        long inFlight = 0;
        var maxLagTicks = 0L;
        var arrivals = await new OpenLoopSchedule(rate, TimeProvider.System).RunAsync(origin, settings.Warmup + settings.Duration, (n, due) =>
        {
            var request = requests.Mix.Pick(n);
            InterlockedMax(ref maxLagTicks, (TimeProvider.System.GetElapsedTime(origin) - due).Ticks);
            if (Interlocked.Increment(ref inFlight) > MaxInFlight)
            {
                Interlocked.Decrement(ref inFlight);
                ledger.RecordDropped(request, due);
                return;
            }

            _ = Task.Run(async () =>
            {
                var keyId = request.Metered ? client.KeyIdOf(request.Key) : null;
                try
                {
                    var answer = await request.SendAsync(client, n, CancellationToken.None);
                    ledger.Record(request, keyId, answer, due, TimeProvider.System.GetElapsedTime(origin) - due);
                }
                catch (Exception e)
                {
                    ledger.Record(request, keyId, Answer.Failed($"client exception ({e.GetType().Name})"), due, TimeProvider.System.GetElapsedTime(origin) - due);
                }
                finally
                {
                    Interlocked.Decrement(ref inFlight);
                }
            });
        });

        // The end reading is taken under load, like the one after the warm-up.
        var end = watch.ReadAll();
        await stopWatching.CancelAsync();
        await watching;
        for (var deadline = DateTime.UtcNow + RequestTimeout * 2; Interlocked.Read(ref inFlight) > 0 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(100);
        }

        var ended = DateTime.UtcNow;
        Console.WriteLine($"sent {arrivals} requests: {ledger.Valid} valid ({ledger.ValidErrors} errors), {ledger.Hostile} hostile ({ledger.HostileErrors} errors); waiting for the usage");
        var written = await WrittenUsageAsync(stack, keys.Values.Select(key => key.Id), started, ledger.Metered.Values.Sum());
        var memory = watch.Groups.Select(group => new MemoryGrowth(group.Name, watch.AfterWarmup?.GetValueOrDefault(group.Name) ?? default,
            end[group.Name], watch.PeakBytes(group.Name))).ToList();
        return new SoakResult(settings, command, started, ended, capacity, ramp, rate, rateLimited, arrivals,
            TimeSpan.FromTicks(Interlocked.Read(ref maxLagTicks)).TotalMilliseconds, requests.Mix, ledger, memory, watch,
            UsageReconciliation.Compare(ledger.Metered, written), keys.ToDictionary(key => key.Value.Id, key => key.Key), LoadBefore: "", LoadAfter: "");
    }

    /// <summary>The keys of one phase, made through the admin API.</summary>
    private static async Task<IReadOnlyDictionary<KeyRole, SoakKey>> KeysAsync(GatewayStack stack, string phase, double rateLimited)
    {
        var unrestricted = await stack.CreateKeyAsync($"{phase}-unrestricted");
        var restricted = await stack.CreateKeyAsync($"{phase}-restricted", models: [SoakRequests.Direction]);
        var limited = await stack.CreateKeyAsync($"{phase}-rate-limited", requestsPerSecond: rateLimited, burst: Math.Max(1, (int)Math.Ceiling(rateLimited)));
        return new Dictionary<KeyRole, SoakKey>
        {
            [KeyRole.Unrestricted] = new(unrestricted.Id, unrestricted.Key),
            [KeyRole.Restricted] = new(restricted.Id, restricted.Key),
            [KeyRole.RateLimited] = new(limited.Id, limited.Key),
        };
    }

    /// <summary>
    /// The usage the gateway wrote for <paramref name="keyIds"/> since <paramref name="from"/>, once its flushes
    /// (every 5 s) have written all it counted: read until the total has reached <paramref name="expected"/> and a
    /// flush later is unchanged, or until it has not changed for 30 s.
    /// </summary>
    private static async Task<IReadOnlyList<UsageRow>> WrittenUsageAsync(GatewayStack stack, IEnumerable<string> keyIds, DateTime from, long expected)
    {
        using var admin = stack.AdminClient();
        var since = from.AddMinutes(-1).ToString("O");
        List<UsageRow> rows = [];
        var (lastTotal, stableSince) = (-1L, DateTime.UtcNow);
        for (var deadline = DateTime.UtcNow.AddMinutes(3); DateTime.UtcNow < deadline; await Task.Delay(TimeSpan.FromSeconds(2)))
        {
            rows = [];
            foreach (var keyId in keyIds)
            {
                var report = JsonNode.Parse(await admin.GetStringAsync($"/api/admin/usage?key_id={keyId}&from={since}"))!;
                rows.AddRange(report["rows"]!.AsArray().Select(row => new UsageRow(row!["key_id"]!.GetValue<string>(), row["model"]!.GetValue<string>(),
                    row["version"]!.GetValue<string>(), row["status"]!.GetValue<int>(), row["requests"]!.GetValue<long>())));
            }

            var total = rows.Sum(row => row.Requests);
            if (total != lastTotal)
            {
                (lastTotal, stableSince) = (total, DateTime.UtcNow);
            }

            // Reaching the total is not enough: one more flush must add nothing, or usage counted twice would go unseen.
            if (DateTime.UtcNow - stableSince > (total >= expected ? TimeSpan.FromSeconds(7) : TimeSpan.FromSeconds(30)))
            {
                break;
            }
        }

        return rows;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
