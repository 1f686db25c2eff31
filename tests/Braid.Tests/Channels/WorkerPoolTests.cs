using Braid.Channels;
using Braid.Tests.Shared;
using Xunit.Abstractions;

namespace Braid.Tests.Channels;

public sealed class WorkerPoolTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_posted_item_is_handled_once_by_at_most_n_workers_at_a_time()
    {
        var handled = new int[200];
        var running = 0;
        var peak = 0;
        await using var pool = new WorkerPool<int>(3, async (item, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax.Raise(ref peak, now);
            await Task.Yield();
            Interlocked.Increment(ref handled[item]);
            Interlocked.Decrement(ref running);
        });

        for (var i = 0; i < handled.Length; i++)
        {
            await pool.PostAsync(i);
        }

        await pool.JoinAsync().Within();

        Assert.All(handled, n => Assert.Equal(1, n));
        Assert.InRange(peak, 1, 3);
        var stats = pool.GetStatistics();
        Assert.Equal((3, 0, 0, 200L, 0L), (stats.Workers, stats.Busy, stats.Queued, stats.Handled, stats.Failed));
        await pool.ShutdownAsync().Within();
    }

    [Fact]
    public async Task Join_waits_for_items_in_progress_not_only_for_the_queue_to_empty()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = new WorkerPool<int>(1, async (_, ct) =>
        {
            started.TrySetResult();
            await gate.Task;
        });

        await pool.PostAsync(1);
        await started.Task.Within();
        var join = pool.JoinAsync().AsTask();
        Assert.Equal(0, pool.GetStatistics().Queued);
        Assert.False(join.IsCompleted);

        gate.SetResult();
        await join.Within();
        await pool.ShutdownAsync().Within();
    }

    [Fact]
    public async Task Handler_failures_are_kept_in_order_and_thrown_together_by_shutdown()
    {
        var pool = new WorkerPool<int>(1, (item, ct) =>
            item % 3 == 0 ? throw new InvalidOperationException($"item {item}") : ValueTask.CompletedTask);

        for (var i = 1; i <= 9; i++)
        {
            await pool.PostAsync(i);
        }

        await pool.JoinAsync().Within();
        Assert.Equal(3, pool.GetStatistics().Failed);
        Assert.Equal(6, pool.GetStatistics().Handled);

        var error = await Assert.ThrowsAsync<AggregateException>(() => pool.ShutdownAsync().Within());
        Assert.Equal(["item 3", "item 6", "item 9"], error.InnerExceptions.Select(e => e.Message));
        Assert.Equal(3, pool.Failures.Count);
        await pool.DisposeAsync(); // already surfaced: dispose does not throw them again
    }

    [Fact]
    public async Task Dispose_surfaces_failures_nobody_observed()
    {
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pool = new WorkerPool<int>(2, (item, ct) =>
        {
            failed.TrySetResult();
            throw new FormatException("bad item");
        });
        await pool.PostAsync(1);
        await failed.Task.Within();
        await pool.JoinAsync().Within();

        var error = await Assert.ThrowsAsync<AggregateException>(() => pool.DisposeAsync().AsTask().Within());
        Assert.IsType<FormatException>(Assert.Single(error.InnerExceptions));
    }

    [Fact]
    public async Task Graceful_shutdown_stops_posting_drains_the_queue_then_waits_for_the_workers()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        await using var pool = new WorkerPool<int>(2, async (_, ct) =>
        {
            await gate.Task;
            Interlocked.Increment(ref handled);
        });

        for (var i = 0; i < 10; i++)
        {
            await pool.PostAsync(i);
        }

        var shutdown = pool.ShutdownAsync();
        await Assert.ThrowsAsync<QueueShutDownException>(() => pool.PostAsync(99).Within());
        Assert.Throws<QueueShutDownException>(() => pool.TryPost(99));
        Assert.False(shutdown.IsCompleted);

        gate.SetResult();
        await shutdown.Within();
        Assert.Equal(10, handled);
        Assert.Empty(pool.Unprocessed);
        Assert.True(pool.GetStatistics().IsShutDown);
    }

    [Fact]
    public async Task Immediate_shutdown_cancels_handlers_and_returns_the_queued_items_unprocessed()
    {
        var inHandler = 0;
        var bothBusy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pool = new WorkerPool<int>(2, async (_, ct) =>
        {
            if (Interlocked.Increment(ref inHandler) == 2)
            {
                bothBusy.SetResult();
            }

            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        });

        for (var i = 0; i < 6; i++)
        {
            await pool.PostAsync(i);
        }

        await bothBusy.Task.Within();
        Assert.Equal(2, pool.GetStatistics().Busy);
        await pool.ShutdownAsync(immediate: true).Within();

        var stats = pool.GetStatistics();
        Assert.Equal((0, 2L, 0L, 0L), (stats.Busy, stats.Cancelled, stats.Handled, stats.Failed));
        Assert.Equal(4, pool.Unprocessed.Count);
        Assert.Equal(new[] { 2, 3, 4, 5 }, pool.Unprocessed); // the first two were taken, in FIFO order
        await pool.JoinAsync().Within(); // the removed items count as done
        await pool.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_without_shutdown_stops_every_worker()
    {
        var running = 0;
        var allBusy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pool = new WorkerPool<int>(4, async (_, ct) =>
        {
            if (Interlocked.Increment(ref running) == 4)
            {
                allBusy.SetResult();
            }

            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        });
        for (var i = 0; i < 4; i++)
        {
            await pool.PostAsync(i);
        }

        await allBusy.Task.Within();
        await pool.DisposeAsync().AsTask().Within();
        Assert.Equal(0, running);
        Assert.Equal(4, pool.GetStatistics().Cancelled);
    }

    [Fact]
    public async Task Cancelling_the_wait_for_shutdown_does_not_stop_the_shutdown()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        var pool = new WorkerPool<int>(1, async (_, ct) =>
        {
            started.TrySetResult();
            await gate.Task;
            Interlocked.Increment(ref handled);
        });
        await pool.PostAsync(1);
        await pool.PostAsync(2);
        await started.Task.Within();

        using var cts = new CancellationTokenSource();
        var waiting = pool.ShutdownAsync(cancellationToken: cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.Within());
        Assert.True(pool.GetStatistics().IsShutDown);

        gate.SetResult();
        await pool.ShutdownAsync().Within(); // graceful: both items are still handled
        Assert.Equal(2, handled);
        await pool.DisposeAsync();
    }

    [Fact]
    public async Task A_cancellation_callback_that_throws_is_a_failure_and_dispose_still_waits_for_the_workers()
    {
        // A handler registers a callback on its token that throws, then waits for a gate, ignoring
        // the cancellation. Disposing used to let the callback's exception escape at once, dispose the
        // token source under the running worker, and make a later ShutdownAsync throw
        // ObjectDisposedException.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = 0;
        var pool = new WorkerPool<int>(1, async (_, ct) =>
        {
            ct.Register(() => throw new InvalidDataException("callback failed"));
            started.TrySetResult();
            await gate.Task;
            Volatile.Write(ref finished, 1);
        });
        await pool.PostAsync(1);
        await started.Task.Within();

        var disposing = pool.DisposeAsync().AsTask();

        // The callbacks have run once the failure is recorded (or, before the fix, once dispose ended).
        Assert.True(SpinWait.SpinUntil(() => pool.GetStatistics().Failed == 1 || disposing.IsCompleted, HangGuard), "the cancellation never completed");
        Assert.False(disposing.IsCompleted, "DisposeAsync returned while a worker was still running");
        var again = pool.ShutdownAsync(immediate: true);

        gate.SetResult();
        var error = await Assert.ThrowsAsync<AggregateException>(() => disposing.Within());
        Assert.IsType<InvalidDataException>(Assert.Single(error.InnerExceptions));
        Assert.Equal(1, Volatile.Read(ref finished));
        var repeated = await Assert.ThrowsAsync<AggregateException>(() => again.Within());
        Assert.IsType<InvalidDataException>(Assert.Single(repeated.InnerExceptions));

        // After disposal: nothing to cancel, nothing disposed twice.
        await Assert.ThrowsAsync<AggregateException>(() => pool.ShutdownAsync(immediate: true).Within());
        await pool.DisposeAsync();
    }

    [Fact]
    public async Task Shutdown_racing_dispose_never_touches_a_disposed_token_source()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (var round = 0; round < 200; round++)
        {
            var pool = new WorkerPool<int>(2, async (_, ct) => await Task.Yield());
            await pool.PostAsync(round);
            var graceful = pool.ShutdownAsync();
            using var start = new Barrier(2);
            var immediate = Task.Run(async () =>
            {
                start.SignalAndWait(HangGuard);
                for (var i = random.Next(3); i > 0; i--)
                {
                    await Task.Yield();
                }

                await pool.ShutdownAsync(immediate: true);
            });
            var dispose = Task.Run(async () =>
            {
                start.SignalAndWait(HangGuard);
                await pool.DisposeAsync();
            });
            await Task.WhenAll(graceful, immediate, dispose).Within();
        }
    }

    [Fact]
    public async Task Pool_operations_leave_no_registration_on_their_token()
    {
        using var cts = new CancellationTokenSource();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pool = new WorkerPool<int>(1, async (_, ct) => await gate.Task, capacity: 1);

        await pool.PostAsync(1, cts.Token); // taken by the worker
        await pool.PostAsync(2, cts.Token); // fills the queue
        var waitingPost = pool.PostAsync(3, cts.Token).AsTask(); // waits for room
        var join = pool.JoinAsync(cts.Token).AsTask();
        using var waitOnly = new CancellationTokenSource();
        var cancelledJoin = pool.JoinAsync(waitOnly.Token).AsTask();
        await waitOnly.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledJoin.Within());
        Assert.Equal(0, TokenRegistrations.Count(waitOnly));

        gate.SetResult();
        await waitingPost.Within();
        await join.Within();
        await pool.JoinAsync(cts.Token).Within();
        await pool.ShutdownAsync(cancellationToken: cts.Token).Within();
        Assert.Equal(0, TokenRegistrations.Count(cts));
        await pool.DisposeAsync();
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool<int>(0, (_, _) => default));
        Assert.Throws<ArgumentNullException>(() => new WorkerPool<int>(1, null!));
    }
}

/// <summary>A worker pool on an autojumping loop: an immediate shutdown cancels handlers before any virtual time passes (rule 36, rule 104).</summary>
public sealed class WorkerPoolOnLoopTests
{
    [Fact]
    public void An_immediate_shutdown_on_an_autojumping_loop_cancels_the_handlers_with_no_time_passing() =>
        Braid.Testing.LoopTest.Run(async clock =>
        {
            for (var round = 0; round < 20; round++)
            {
                var start = clock.Elapsed;
                var cancelled = 0;
                var pool = new WorkerPool<int>(2, async (_, ct) =>
                {
                    try
                    {
                        await clock.DelayAsync(TimeSpan.FromSeconds(10), ct);
                    }
                    catch (OperationCanceledException)
                    {
                        cancelled++;
                        throw;
                    }
                });
                await pool.PostAsync(1);
                await pool.PostAsync(2);
                await Braid.Testing.LoopTest.WaitAllTasksBlockedAsync();

                await pool.ShutdownAsync(immediate: true);
                await pool.DisposeAsync();
                Assert.Equal(2, cancelled);
                Assert.Equal(start, clock.Elapsed);
                Assert.Equal(2L, pool.GetStatistics().Cancelled);
            }
        });
}
