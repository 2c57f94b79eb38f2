using System.Runtime.InteropServices;
using AiFactory.Inference.Batching;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Repository;
using AiFactory.Inference.Runtime;
using AiFactory.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AiFactory.Tests.Inference.Batching;

/// <summary>
/// How the dynamic batcher forms batches, pads them and answers each caller, against a model that records what it
/// is given (<see cref="FakeModelRunner"/>) and a clock the test moves (<see cref="FakeTimeProvider"/>): nothing here
/// depends on how fast the machine is. Requests that must share a batch are all queued before the clock reaches the
/// queue delay; the runner's gate keeps the batcher's one instance busy while a test queues what the next batch sees.
/// </summary>
public sealed class DynamicBatcherTests : IAsyncLifetime
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeModelRunner _runner = new();
    private DynamicBatcher? _batcher;

    [Fact]
    public async Task A_batch_closes_at_max_batch_size_without_waiting_out_the_delay()
    {
        var batcher = Batcher(maxBatchSize: 4);

        var calls = Enumerable.Range(1, 4).Select(id => Call(batcher, id, items: 1)).ToList();

        Assert.Equal(4, (await _runner.NextAsync()).Items);
        await AssertEachGetsItsOwnRowsAsync(calls);
    }

    [Fact]
    public async Task Requests_queued_within_the_delay_share_a_batch_and_later_ones_wait_for_the_next()
    {
        var batcher = Batcher(maxBatchSize: 8);

        var first = Call(batcher, 1, items: 1);
        _time.Advance(Delay / 2);
        var second = Call(batcher, 2, items: 2);
        Assert.True(_runner.NoneStarted, "a batch closed before its oldest request had waited max_queue_delay_us");

        var batch = await AdvanceUntilNextAsync();
        var late = Call(batcher, 3, items: 1);
        var next = await AdvanceUntilNextAsync();

        Assert.Equal(3, batch.Items);
        Assert.Equal(1, next.Items);
        await AssertEachGetsItsOwnRowsAsync([first, second, late]);
    }

    [Fact]
    public async Task A_preferred_batch_size_closes_the_batch_as_soon_as_it_is_reached()
    {
        var batcher = Batcher(maxBatchSize: 8, config: new DynamicBatchingConfig { MaxQueueDelayUs = 1_000_000, PreferredBatchSizes = [3] });

        var calls = new[] { Call(batcher, 1, items: 1), Call(batcher, 2, items: 2) };

        // The clock never moves: only reaching the preferred size can close this batch.
        Assert.Equal(3, (await _runner.NextAsync()).Items);
        await AssertEachGetsItsOwnRowsAsync(calls);
    }

    [Fact]
    public async Task A_request_that_does_not_fit_waits_while_later_smaller_ones_join()
    {
        var batcher = Batcher(maxBatchSize: 4);
        var busy = await HoldOneExecutionAsync(batcher);

        var three = Call(batcher, 1, items: 3);
        var two = Call(batcher, 2, items: 2);
        var one = Call(batcher, 3, items: 1);
        _runner.Open();

        var first = await _runner.NextAsync();
        var second = await AdvanceUntilNextAsync();
        Assert.Equal(4, first.Items);
        Assert.Equal(Rows(1, 3).Concat(Rows(3, 1)), Floats(first.Data));
        Assert.Equal(Rows(2, 2), Floats(second.Data));
        await AssertEachGetsItsOwnRowsAsync([busy, three, two, one]);
    }

    [Fact]
    public async Task Requests_whose_other_dimensions_differ_never_share_a_batch()
    {
        var batcher = Batcher(maxBatchSize: 8);
        var busy = await HoldOneExecutionAsync(batcher);

        var narrow = Call(batcher, 1, items: 1);
        var wide = Call(batcher, 2, items: 1, width: 3);
        var narrowToo = Call(batcher, 3, items: 1);
        _runner.Open();

        var first = await AdvanceUntilNextAsync();
        var second = await AdvanceUntilNextAsync();
        Assert.Equal([2L, 2], first.Shape);
        Assert.Equal([1L, 3], second.Shape);
        await AssertEachGetsItsOwnRowsAsync([busy, narrow, wide, narrowToo]);
    }

    [Fact]
    public async Task A_request_cancelled_while_queued_leaves_the_queue_and_never_runs()
    {
        var batcher = Batcher(maxBatchSize: 8);
        var busy = await HoldOneExecutionAsync(batcher);
        using var hangUp = new CancellationTokenSource();

        var cancelled = Call(batcher, 1, items: 2, cancellationToken: hangUp.Token);
        var kept = Call(batcher, 2, items: 1);
        await hangUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Task.WaitAsync(Deadline));
        _runner.Open();
        var next = await AdvanceUntilNextAsync();
        Assert.Equal(Rows(2, 1), Floats(next.Data));
        await AssertEachGetsItsOwnRowsAsync([busy, kept]);
        Assert.Equal(0, _runner.QueuedItems);
    }

    [Fact]
    public async Task A_request_whose_timeout_passes_while_queued_is_refused_and_the_batcher_serves_on()
    {
        var batcher = Batcher(maxBatchSize: 8);
        var busy = await HoldOneExecutionAsync(batcher);

        var expired = Call(batcher, 1, items: 1, timeout: TimeSpan.FromMilliseconds(5));
        _time.Advance(TimeSpan.FromMilliseconds(5));

        var error = await Assert.ThrowsAsync<InferenceError>(() => expired.Task.WaitAsync(Deadline));
        Assert.Equal(InferenceErrorKind.Unavailable, error.Kind);
        Assert.Equal("the request waited longer than its timeout (5000 µs) in the queue", error.Message);
        _runner.Open();
        var next = Call(batcher, 2, items: 1);
        Assert.Equal(Rows(2, 1), Floats((await AdvanceUntilNextAsync()).Data));
        await AssertEachGetsItsOwnRowsAsync([busy, next]);
    }

    [Fact]
    public async Task A_timeout_that_passes_once_the_request_is_in_a_batch_still_gets_the_answer()
    {
        var batcher = Batcher(maxBatchSize: 1);
        _runner.Close();

        var running = Call(batcher, 1, items: 1, timeout: TimeSpan.FromMilliseconds(5));
        await _runner.NextAsync();
        _time.Advance(TimeSpan.FromSeconds(1));
        _runner.Open();

        await AssertEachGetsItsOwnRowsAsync([running]);
    }

    [Fact]
    public async Task A_queue_full_in_items_refuses_at_once_naming_max_queue_size()
    {
        var batcher = Batcher(maxBatchSize: 8, config: new DynamicBatchingConfig { MaxQueueDelayUs = 1000, MaxQueueSize = 2 });
        var busy = await HoldOneExecutionAsync(batcher);
        var waiting = new[] { Call(batcher, 1, items: 1), Call(batcher, 2, items: 1) };

        var error = Assert.Throws<InferenceError>(() => Call(batcher, 3, items: 1));

        Assert.Equal(InferenceErrorKind.Unavailable, error.Kind);
        Assert.Equal("model 'fake' version 1 is overloaded: its queue holds 2 items (max_queue_size)", error.Message);
        _runner.Open();
        await AdvanceUntilNextAsync();
        await AssertEachGetsItsOwnRowsAsync([busy, .. waiting]);
    }

    [Fact]
    public async Task A_queue_full_in_bytes_refuses_at_once_naming_max_queue_bytes()
    {
        // One item of [1,2] FP32 is 8 bytes: two fit in 20, a third does not.
        var batcher = Batcher(maxBatchSize: 8, config: new DynamicBatchingConfig { MaxQueueDelayUs = 1000, MaxQueueBytes = 20 });
        var busy = await HoldOneExecutionAsync(batcher);
        var waiting = new[] { Call(batcher, 1, items: 1), Call(batcher, 2, items: 1) };

        var error = Assert.Throws<InferenceError>(() => Call(batcher, 3, items: 1));

        Assert.Equal(InferenceErrorKind.Unavailable, error.Kind);
        Assert.Equal("model 'fake' version 1 is overloaded: its queue holds 16 of at most 20 bytes (max_queue_bytes)", error.Message);
        _runner.Open();
        await AdvanceUntilNextAsync();
        await AssertEachGetsItsOwnRowsAsync([busy, .. waiting]);
    }

    [Fact]
    public async Task A_batch_of_five_with_padded_sizes_runs_as_eight_and_counts_five()
    {
        var batcher = Batcher(maxBatchSize: 8, padding: new BatchPadding([1, 2, 4, 8]));
        var busy = await HoldOneExecutionAsync(batcher);

        var calls = new[] { Call(batcher, 1, items: 2), Call(batcher, 2, items: 2), Call(batcher, 3, items: 1) };
        _runner.Open();
        var padded = await AdvanceUntilNextAsync();

        Assert.Equal([8L, 2], padded.Shape);
        Assert.Equal(Rows(1, 2).Concat(Rows(2, 2)).Concat(Rows(3, 1)).Concat(new float[3 * 2]), Floats(padded.Data));
        await AssertEachGetsItsOwnRowsAsync([busy, .. calls]);
        Assert.Equal([(1, 1), (5, 8)], _runner.Recorded);
    }

    [Fact]
    public async Task A_lone_request_between_padded_sizes_is_padded_and_gets_only_its_own_rows()
    {
        var batcher = Batcher(maxBatchSize: 8, padding: new BatchPadding([1, 2, 4, 8]));

        var call = Call(batcher, 1, items: 3);
        var padded = await AdvanceUntilNextAsync();

        Assert.Equal([4L, 2], padded.Shape);
        await AssertEachGetsItsOwnRowsAsync([call]);
        Assert.Equal([(3, 4)], _runner.Recorded);
    }

    [Fact]
    public async Task Every_request_that_left_the_queue_is_counted_out_of_it_once()
    {
        var batcher = Batcher(maxBatchSize: 2);
        var calls = Enumerable.Range(1, 5).Select(id => Call(batcher, id, items: 1)).ToList();

        for (var executed = 0; executed < 5;)
        {
            executed += (int)(await AdvanceUntilNextAsync()).Items;
        }

        await AssertEachGetsItsOwnRowsAsync(calls);
        Assert.Equal(0, _runner.QueuedItems);
        Assert.Equal(5, _runner.QueueWaits.Count);
    }

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(8, new[] { 1, 2, 4, 8 })]
    [InlineData(64, new[] { 1, 2, 4, 8, 16, 32, 64 })]
    [InlineData(48, new[] { 1, 2, 4, 8, 16, 32, 48 })]
    public void The_default_padded_sizes_are_powers_of_two_up_to_max_batch_size(int maxBatchSize, int[] expected) =>
        Assert.Equal(expected, BatchPadding.PowersOfTwo(maxBatchSize));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(5, 8)]
    [InlineData(8, 8)]
    public void A_batch_runs_as_the_smallest_padded_size_that_holds_it(int items, int expected) =>
        Assert.Equal(expected, new BatchPadding([8, 2, 4, 1]).SizeFor(items));

    [Fact]
    public void Bytes_tensors_are_padded_with_empty_elements()
    {
        byte[] two = [1, 0, 0, 0, (byte)'a', 0, 0, 0, 0];
        var part = new Tensor("s", Datatypes.Bytes, [2, 1], two);
        var buffer = new byte[two.Length + (int)TensorBatches.PaddingBytes(part, 2)];

        var padded = TensorBatches.Concatenate([part], 2, 4, buffer);

        Assert.Equal([4L, 1], padded.Shape);
        Assert.Equal(4, BytesElements.Count("s", padded.Data.Span));
        Assert.Equal(two.Concat(new byte[8]), padded.Data.ToArray());
    }

    private DynamicBatcher Batcher(int maxBatchSize, DynamicBatchingConfig? config = null, BatchPadding? padding = null) =>
        _batcher = new DynamicBatcher(_runner, maxBatchSize, config ?? new DynamicBatchingConfig { MaxQueueDelayUs = (long)Delay.TotalMicroseconds },
            instanceCount: 1, padding ?? BatchPadding.None, _time);

    /// <summary>Starts one execution and holds it at the gate: the batcher's only instance is busy until the gate opens.</summary>
    private async Task<(int Id, int Items, Task<IReadOnlyList<Tensor>> Task)> HoldOneExecutionAsync(DynamicBatcher batcher)
    {
        _runner.Close();
        var busy = Call(batcher, 99, items: 1);
        await AdvanceUntilNextAsync();
        return busy;
    }

    /// <summary>
    /// Moves the clock on by the queue delay until the batcher starts an execution. The batcher arms its timer from
    /// the clock it reads, so a timer armed just after a step fires a step later; the batch is the same either way.
    /// </summary>
    private async Task<FakeModelRunner.Execution> AdvanceUntilNextAsync()
    {
        var next = _runner.NextAsync();
        while (!next.IsCompleted)
        {
            _time.Advance(Delay);
            await Task.WhenAny(next, Task.Delay(10));
        }

        return await next;
    }

    /// <summary>Request <paramref name="id"/>: <paramref name="items"/> rows of <paramref name="width"/> values that name it.</summary>
    private static (int Id, int Items, Task<IReadOnlyList<Tensor>> Task) Call(DynamicBatcher batcher, int id, int items, int width = 2,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var values = Rows(id, items, width);
        var work = new InferenceWork([new Tensor("x", Datatypes.Fp32, [items, width], MemoryMarshal.AsBytes(values.AsSpan()).ToArray())], ["y"], items, timeout);
        return (id, items, batcher.ExecuteAsync(work, cancellationToken));
    }

    private static float[] Rows(int id, int items, int width = 2) =>
        [.. Enumerable.Range(0, items * width).Select(i => id * 1000f + i + 1)];

    private static float[] Floats(byte[] data) => MemoryMarshal.Cast<byte, float>(data).ToArray();

    /// <summary>Each caller's answer is its own rows, all of them, and nothing else (no neighbour's, no padding).</summary>
    private static async Task AssertEachGetsItsOwnRowsAsync(IEnumerable<(int Id, int Items, Task<IReadOnlyList<Tensor>> Task)> calls)
    {
        foreach (var (id, items, task) in calls)
        {
            var output = Assert.Single(await task.WaitAsync(Deadline));
            Assert.Equal([items, output.Shape[1]], output.Shape);
            Assert.Equal(Rows(id, items, (int)output.Shape[1]), Floats(output.Data.ToArray()));
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _runner.Open();
        if (_batcher is not null)
        {
            await _batcher.DisposeAsync();
        }
    }
}
