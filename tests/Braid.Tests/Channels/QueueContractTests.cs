using Braid.Channels;
using Braid.Tests.Support;

namespace Braid.Tests.Channels;

/// <summary>The asyncio.Queue contract, run once per queue variant (order) and per bound.</summary>
public abstract class QueueContractTests
{
    /// <summary>Whether this variant runs every test on an <c>AsyncLoop</c> with an autojumping clock (rule 36).</summary>
    protected virtual bool OnLoop => false;

    private Task RunContract(Func<Task> body, bool usesThreads = false) => ContractLoop.RunAsync(OnLoop, body, usesThreads);

    private Task CancelAsync(CancellationTokenSource source) => ContractLoop.CancelAsync(OnLoop, source);

    /// <summary>Creates the queue under test; <paramref name="capacity"/> is <see cref="int.MaxValue"/> for unbounded.</summary>
    protected abstract ITestQueue Create(int capacity);

    protected abstract int Capacity { get; }

    private bool Bounded => Capacity != int.MaxValue;

    private ITestQueue Create() => Create(Capacity);

    [Fact]
    public void Puts_and_gets_without_waiters_complete_synchronously_in_the_variants_order()
    {
        var q = Create();
        int[] items = Bounded ? [3, 1] : [3, 1, 2, 5, 4];
        foreach (var item in items)
        {
            Sync.Completed(q.PutAsync(item));
        }

        var got = new List<int>();
        foreach (var _ in items)
        {
            got.Add(Sync.Completed(q.GetAsync()));
        }

        Assert.Equal(q.ExpectedOrder(items), got);
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public void The_uncontended_path_allocates_nothing()
    {
        var q = Create();
        for (var i = 0; i < 100; i++)
        {
            _ = q.TryPut(i);
            _ = q.TryGet(out _);
            q.TaskDone();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Sync.Completed(q.PutAsync(i));
            _ = Sync.Completed(q.GetAsync());
            q.TaskDone();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public Task A_waiting_getter_is_handed_the_next_item_directly() => RunContract(async () =>
    {
        var q = Create();
        var get = q.GetAsync();
        Assert.False(get.IsCompleted);
        Assert.Equal(1, q.GetStatistics().GettersWaiting);

        Assert.True(q.TryPut(42));

        Assert.Equal(42, await get.Within());
        var stats = q.GetStatistics();
        Assert.Equal(0, stats.GettersWaiting);
        Assert.Equal(0, stats.Count);
        Assert.Equal(1, stats.TotalPut);
        Assert.Equal(1, stats.TotalTaken);
        Assert.Equal(1, stats.UnfinishedTasks);
    });

    [Fact]
    public Task Waiting_getters_are_served_first_come_first_served() => RunContract(async () =>
    {
        var q = Create();
        var gets = Enumerable.Range(0, 3).Select(_ => q.GetAsync().AsTask()).ToArray();
        Assert.Equal(3, q.GetStatistics().GettersWaiting);

        foreach (var item in new[] { 10, 20, 30 })
        {
            await q.PutAsync(item);
        }

        Assert.Equal(new[] { 10, 20, 30 }, await Task.WhenAll(gets).Within());
    });

    [Fact]
    public Task Releasing_a_getter_never_runs_its_continuation_inline() => RunContract(async () =>
    {
        var q = Create();
        var putterThread = Environment.CurrentManagedThreadId;
        var insidePut = false;
        var get = q.GetAsync().AsTask();
        var ranInline = get.ContinueWith(
            _ => Volatile.Read(ref insidePut) && Environment.CurrentManagedThreadId == putterThread,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        Volatile.Write(ref insidePut, true);
        Assert.True(q.TryPut(1));
        Volatile.Write(ref insidePut, false);

        Assert.False(await ranInline.Within());
        Assert.Equal(1, await get);
    });

    [Fact]
    public Task A_getter_cancelled_while_queued_took_nothing_and_the_next_item_stays_for_others() => RunContract(async () =>
    {
        var q = Create();
        using var cts = new CancellationTokenSource();
        var cancelled = q.GetAsync(cts.Token);
        var next = q.GetAsync();
        Assert.Equal(2, q.GetStatistics().GettersWaiting);

        await CancelAsync(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        Assert.Equal(1, q.GetStatistics().GettersWaiting);
        Assert.True(q.TryPut(7));
        Assert.Equal(7, await next.Within());
        Assert.Equal(0, q.GetStatistics().GettersWaiting);
    });

    [Fact]
    public Task A_getter_cancelled_at_the_moment_of_hand_off_is_skipped_and_the_item_goes_to_the_next() => RunContract(async () =>
    {
        var q = Create();
        using var cts = new CancellationTokenSource();
        var first = q.GetAsync(cts.Token);
        var second = q.GetAsync();
        // Callbacks run newest first: this one runs after the token is cancelled but before the
        // waiter's own cancellation callback, which is the window a hand-off must respect.
        var putDuringCancel = false;
        using var race = cts.Token.Register(() => putDuringCancel = q.TryPut(99));

        await CancelAsync(cts);

        Assert.True(putDuringCancel);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.Within());
        Assert.Equal(99, await second.Within());
        var stats = q.GetStatistics();
        Assert.Equal((0, 0, 1L, 1L), (stats.GettersWaiting, stats.Count, stats.TotalPut, stats.TotalTaken));
    });

    [Fact]
    public Task A_getter_with_an_already_cancelled_token_fails_even_if_an_item_is_there() => RunContract(async () =>
    {
        var q = Create();
        Assert.True(q.TryPut(1));
        var get = q.GetAsync(new CancellationToken(canceled: true)).AsTask();
        Assert.True(get.IsCanceled);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get.Within());
        Assert.Equal(1, q.Count);
    });

    [Fact]
    public void Try_get_on_an_empty_queue_returns_false()
    {
        var q = Create();
        Assert.False(q.TryGet(out _));
        Assert.True(q.TryPut(5));
        Assert.True(q.TryGet(out var item));
        Assert.Equal(5, item);
    }

    [Fact]
    public Task Join_completes_when_every_item_put_has_been_marked_done() => RunContract(async () =>
    {
        var q = Create();
        Sync.Completed(q.JoinAsync());

        await q.PutAsync(1);
        await q.PutAsync(2);
        var join = q.JoinAsync();
        Assert.False(join.IsCompleted);

        Assert.True(q.TryGet(out _));
        q.TaskDone();
        Assert.False(join.IsCompleted);
        Assert.Equal(1, q.GetStatistics().UnfinishedTasks);

        Assert.True(q.TryGet(out _));
        q.TaskDone();
        await join.Within();
        Assert.Equal(0, q.GetStatistics().UnfinishedTasks);
    });

    [Fact]
    public Task A_cancelled_join_changes_nothing() => RunContract(async () =>
    {
        var q = Create();
        await q.PutAsync(1);
        using var cts = new CancellationTokenSource();
        var cancelled = q.JoinAsync(cts.Token);
        var other = q.JoinAsync();
        await CancelAsync(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        Assert.False(other.IsCompleted);
        Assert.True(q.TryGet(out _));
        q.TaskDone();
        await other.Within();
    });

    [Fact]
    public Task Task_done_more_times_than_items_throws() => RunContract(async () =>
    {
        var q = Create();
        Assert.Throws<InvalidOperationException>(q.TaskDone);
        await q.PutAsync(1);
        q.TaskDone();
        Assert.Throws<InvalidOperationException>(q.TaskDone);
    });

    [Fact]
    public Task Graceful_shutdown_fails_puts_and_lets_gets_drain_then_fail() => RunContract(async () =>
    {
        var q = Create();
        await q.PutAsync(3);
        await q.PutAsync(1);
        Assert.Empty(q.Shutdown());

        await Assert.ThrowsAsync<QueueShutDownException>(() => q.PutAsync(4).Within());
        Assert.Throws<QueueShutDownException>(() => q.TryPut(4));
        var drained = new[] { await q.GetAsync(), await q.GetAsync() };
        Assert.Equal(q.ExpectedOrder([3, 1]), drained);
        await Assert.ThrowsAsync<QueueShutDownException>(() => q.GetAsync().Within());
        Assert.Throws<QueueShutDownException>(() => q.TryGet(out _));

        // The items already taken can still be marked done, and join is released by them.
        var join = q.JoinAsync();
        q.TaskDone();
        q.TaskDone();
        await join.Within();
        Assert.True(q.GetStatistics().IsShutDown);
    });

    [Fact]
    public Task Shutdown_fails_waiting_getters() => RunContract(async () =>
    {
        var q = Create();
        var get = q.GetAsync();
        q.Shutdown();
        await Assert.ThrowsAsync<QueueShutDownException>(() => get.Within());
        Assert.Equal(0, q.GetStatistics().GettersWaiting);
    });

    [Fact]
    public Task Immediate_shutdown_empties_the_queue_returns_what_it_removed_and_releases_join() => RunContract(async () =>
    {
        var q = Create();
        int[] items = Bounded ? [2, 1] : [2, 1, 3];
        foreach (var item in items)
        {
            await q.PutAsync(item);
        }

        var join = q.JoinAsync();
        var removed = q.Shutdown(immediate: true);

        Assert.Equal(q.ExpectedOrder(items), removed);
        Assert.Equal(0, q.Count);
        await join.Within();
        Assert.Equal(0, q.GetStatistics().UnfinishedTasks);
        await Assert.ThrowsAsync<QueueShutDownException>(() => q.GetAsync().Within());
    });

    [Fact]
    public Task Immediate_shutdown_keeps_join_waiting_for_items_still_being_processed() => RunContract(async () =>
    {
        var q = Create();
        await q.PutAsync(1);
        await q.PutAsync(2);
        Assert.True(q.TryGet(out _)); // one item is in a consumer's hands
        var join = q.JoinAsync();

        Assert.Single(q.Shutdown(immediate: true));
        Assert.False(join.IsCompleted);
        q.TaskDone();
        await join.Within();
    });

    [Fact]
    public void Statistics_count_puts_takes_and_the_peak()
    {
        var q = Create();
        var n = Bounded ? Capacity : 5;
        for (var i = 0; i < n; i++)
        {
            Assert.True(q.TryPut(i));
        }

        Assert.True(q.TryGet(out _));
        var stats = q.GetStatistics();
        Assert.Equal(new AsyncQueueStatistics(n - 1, Capacity, n, n, 1, n, 0, 0, false), stats);
        Assert.NotEqual(0, q.Id);
    }

    [Fact]
    public Task Bounded_put_waits_for_room_and_waiting_putters_are_admitted_in_order() => RunContract(async () =>
    {
        if (!Bounded)
        {
            Assert.True(q_TryPutMany(Create(), 10_000));
            return;
        }

        var q = Create();
        for (var i = 0; i < Capacity; i++)
        {
            Assert.True(q.TryPut(100 + i));
        }

        Assert.False(q.TryPut(0));
        var p1 = q.PutAsync(1);
        var p2 = q.PutAsync(2);
        Assert.False(p1.IsCompleted);
        Assert.Equal(2, q.GetStatistics().PuttersWaiting);

        var taken = new List<int>();
        Assert.True(q.TryGet(out var first));
        taken.Add(first);
        await p1.Within(); // the longest-waiting putter is admitted first
        Assert.False(p2.IsCompleted);
        Assert.Equal(Capacity, q.Count);
        Assert.True(q.TryGet(out var second));
        taken.Add(second);
        await p2.Within();

        while (q.TryGet(out var item))
        {
            taken.Add(item);
        }

        var expected = Enumerable.Range(100, Capacity).Append(1).Append(2).Order();
        Assert.Equal(expected, taken.Order());
        Assert.Equal(Capacity + 2, q.GetStatistics().TotalPut);
    });

    [Fact]
    public Task A_putter_cancelled_while_queued_added_nothing() => RunContract(async () =>
    {
        if (!Bounded)
        {
            return; // an unbounded put never waits
        }

        var q = Create();
        for (var i = 0; i < Capacity; i++)
        {
            Assert.True(q.TryPut(i));
        }

        using var cts = new CancellationTokenSource();
        var cancelled = q.PutAsync(1000, cts.Token);
        var next = q.PutAsync(2000);
        await CancelAsync(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());

        Assert.Equal(1, q.GetStatistics().PuttersWaiting);
        var drained = new List<int>();
        while (q.TryGet(out var item))
        {
            drained.Add(item);
        }

        await next.Within();
        Assert.DoesNotContain(1000, drained);
        Assert.Contains(2000, drained);
        Assert.Equal(Capacity + 1, drained.Count);
        Assert.Equal(Capacity + 1, q.GetStatistics().TotalPut);
    });

    [Fact]
    public Task A_putter_cancelled_at_the_moment_of_hand_off_is_skipped() => RunContract(async () =>
    {
        if (!Bounded)
        {
            return;
        }

        var q = Create();
        for (var i = 0; i < Capacity; i++)
        {
            Assert.True(q.TryPut(i));
        }

        using var cts = new CancellationTokenSource();
        var cancelled = q.PutAsync(1000, cts.Token);
        var next = q.PutAsync(2000);
        var gotDuringCancel = false;
        using var race = cts.Token.Register(() => gotDuringCancel = q.TryGet(out _));

        await CancelAsync(cts);

        Assert.True(gotDuringCancel);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        await next.Within();
        var all = new List<int>();
        while (q.TryGet(out var item))
        {
            all.Add(item);
        }

        Assert.DoesNotContain(1000, all);
        Assert.Contains(2000, all);
    });

    [Fact]
    public Task Shutdown_fails_waiting_putters_without_adding_their_items() => RunContract(async () =>
    {
        if (!Bounded)
        {
            return;
        }

        var q = Create();
        for (var i = 0; i < Capacity; i++)
        {
            Assert.True(q.TryPut(i));
        }

        var put = q.PutAsync(1000);
        q.Shutdown();
        await Assert.ThrowsAsync<QueueShutDownException>(() => put.Within());
        Assert.Equal(Capacity, q.Count);
        Assert.Equal(Capacity, q.GetStatistics().TotalPut);
    });

    private static bool q_TryPutMany(ITestQueue q, int n)
    {
        for (var i = 0; i < n; i++)
        {
            if (!q.TryPut(i))
            {
                return false;
            }
        }

        return q.Count == n;
    }
}

public class FifoUnboundedQueueTests : QueueContractTests
{
    protected override int Capacity => int.MaxValue;

    protected override ITestQueue Create(int capacity) => new FifoTestQueue(new AsyncQueue<int>());
}

public class FifoBoundedQueueTests : QueueContractTests
{
    protected override int Capacity => 2;

    protected override ITestQueue Create(int capacity) => new FifoTestQueue(new AsyncQueue<int>(capacity));
}

public class LifoUnboundedQueueTests : QueueContractTests
{
    protected override int Capacity => int.MaxValue;

    protected override ITestQueue Create(int capacity) => new LifoTestQueue(new AsyncLifoQueue<int>());
}

public class LifoBoundedQueueTests : QueueContractTests
{
    protected override int Capacity => 2;

    protected override ITestQueue Create(int capacity) => new LifoTestQueue(new AsyncLifoQueue<int>(capacity));
}

public class PriorityUnboundedQueueTests : QueueContractTests
{
    protected override int Capacity => int.MaxValue;

    protected override ITestQueue Create(int capacity) => new PriorityTestQueue(new AsyncPriorityQueue<int, int>());
}

public class PriorityBoundedQueueTests : QueueContractTests
{
    protected override int Capacity => 2;

    protected override ITestQueue Create(int capacity) => new PriorityTestQueue(new AsyncPriorityQueue<int, int>(capacity));
}

public sealed class FifoUnboundedQueueOnLoopTests : FifoUnboundedQueueTests
{
    protected override bool OnLoop => true;
}

public sealed class FifoBoundedQueueOnLoopTests : FifoBoundedQueueTests
{
    protected override bool OnLoop => true;
}

public sealed class LifoUnboundedQueueOnLoopTests : LifoUnboundedQueueTests
{
    protected override bool OnLoop => true;
}

public sealed class LifoBoundedQueueOnLoopTests : LifoBoundedQueueTests
{
    protected override bool OnLoop => true;
}

public sealed class PriorityUnboundedQueueOnLoopTests : PriorityUnboundedQueueTests
{
    protected override bool OnLoop => true;
}

public sealed class PriorityBoundedQueueOnLoopTests : PriorityBoundedQueueTests
{
    protected override bool OnLoop => true;
}
