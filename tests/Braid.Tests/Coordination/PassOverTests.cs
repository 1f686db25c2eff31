using Braid.Coordination;

namespace Braid.Tests.Coordination;

/// <summary>
/// A hand-off passes over a queued waiter whose token has already fired but whose own cancellation callback
/// has not run yet, and gives what it hands out to the next live waiter (rules 40 and 44). The window is
/// made deterministically: a token's callbacks run newest first, so a callback registered after the
/// waiter's runs while the token is cancelled and the waiter is still queued.
/// </summary>
public sealed class PassOverTests
{
    // Registers release after every waiter already queued on cts (so it runs before their callbacks) and cancels.
    private static async Task ReleaseInTheWindowAsync(CancellationTokenSource cts, Action release)
    {
        using (cts.Token.Register(release))
        {
            await cts.CancelAsync();
        }
    }

    [Fact]
    public async Task Semaphore_release_of_many_skips_the_fired_waiters_and_serves_that_many_live_ones()
    {
        var semaphore = new AsyncSemaphore(0);
        using var cts = new CancellationTokenSource();
        var first = semaphore.WaitAsync(cts.Token).AsTask();
        var a = semaphore.WaitAsync().AsTask();
        var middle = semaphore.WaitAsync(cts.Token).AsTask();
        var b = semaphore.WaitAsync().AsTask();
        var c = semaphore.WaitAsync().AsTask();
        var waitingAtRelease = -1;

        await ReleaseInTheWindowAsync(cts, () =>
        {
            waitingAtRelease = semaphore.GetStatistics().WaitingCount;
            semaphore.Release(2);
        });

        Assert.Equal(5, waitingAtRelease);
        await Task.WhenAll(a, b);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => middle);
        Assert.False(c.IsCompleted);
        var stats = semaphore.GetStatistics();
        Assert.Equal((0, 1, 2L), (stats.CurrentCount, stats.WaitingCount, stats.Cancellations));
        semaphore.Release();
        await c;
    }

    [Fact]
    public async Task Semaphore_permits_left_over_after_skipping_stay_free()
    {
        var semaphore = new AsyncSemaphore(0);
        using var cts = new CancellationTokenSource();
        var cancelled = semaphore.WaitAsync(cts.Token).AsTask();
        var live = semaphore.WaitAsync().AsTask();

        await ReleaseInTheWindowAsync(cts, () => semaphore.Release(2));

        await live;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, semaphore.CurrentCount);
        Assert.True(semaphore.TryWait());
        Assert.False(semaphore.TryWait());
    }

    [Fact]
    public async Task Limiter_skips_a_fired_named_borrower_which_may_borrow_again_before_its_callback_runs()
    {
        var limiter = new CapacityLimiter(1);
        var holder = new object();
        var late = new object();
        var next = new object();
        var held = await limiter.AcquireOnBehalfOfAsync(holder);
        using var cts = new CancellationTokenSource();
        var cancelled = limiter.AcquireOnBehalfOfAsync(late, cts.Token).AsTask();
        var live = limiter.AcquireOnBehalfOfAsync(next).AsTask();
        Task<CapacityLimiter.Lease>? again = null;

        await ReleaseInTheWindowAsync(cts, () =>
        {
            held.Dispose();

            // The skipped borrower no longer counts as waiting, though its callback has not run: it may queue again.
            again = limiter.AcquireOnBehalfOfAsync(late).AsTask();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var lease = await live;
        Assert.Same(next, lease.Borrower);
        Assert.NotNull(again);
        Assert.False(again.IsCompleted);
        var stats = limiter.GetStatistics();
        Assert.Equal((1, 1, 1L), (stats.BorrowedTokens, stats.WaitingCount, stats.Cancellations));
        lease.Dispose();
        using (var second = await again)
        {
            Assert.Same(late, second.Borrower);
        }
    }

    [Fact]
    public async Task Limiter_raising_the_total_skips_fired_waiters()
    {
        var limiter = new CapacityLimiter(0);
        using var cts = new CancellationTokenSource();
        var cancelled = limiter.AcquireAsync(cts.Token).AsTask();
        var live = limiter.AcquireAsync().AsTask();

        await ReleaseInTheWindowAsync(cts, () => limiter.TotalTokens = 2);

        using (await live)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal((1, 1), (limiter.BorrowedTokens, limiter.AvailableTokens));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reader_batch_skips_fired_readers_and_lets_the_live_ones_in_together(bool fair)
    {
        var rw = new AsyncReaderWriterLock(fair);
        var writer = await rw.WriterLockAsync();
        using var cts = new CancellationTokenSource();
        var fired = rw.ReaderLockAsync(cts.Token).AsTask();
        var r1 = rw.ReaderLockAsync().AsTask();
        var firedToo = rw.ReaderLockAsync(cts.Token).AsTask();
        var r2 = rw.ReaderLockAsync().AsTask();

        await ReleaseInTheWindowAsync(cts, writer.Dispose);

        var readers = await Task.WhenAll(r1, r2);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fired);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => firedToo);
        var stats = rw.GetStatistics();
        Assert.Equal((2, 0, 2L), (stats.ReaderCount, stats.WaitingReaders, stats.Cancellations));
        foreach (var reader in readers)
        {
            reader.Dispose();
        }

        Assert.True(rw.TryWriterLock(out var after));
        after.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_fired_writer_at_the_head_is_skipped_and_the_readers_behind_it_enter(bool fair)
    {
        var rw = new AsyncReaderWriterLock(fair);
        var holder = await rw.ReaderLockAsync();
        using var cts = new CancellationTokenSource();
        var writer = rw.WriterLockAsync(cts.Token).AsTask();
        var reader = rw.ReaderLockAsync().AsTask(); // queues behind the writer in both modes
        Assert.Equal(1, rw.GetStatistics().WaitingReaders);

        await ReleaseInTheWindowAsync(cts, holder.Dispose);

        using (await reader)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer);
            var stats = rw.GetStatistics();
            Assert.Equal((1, false, 0, 1L), (stats.ReaderCount, stats.IsWriterHeld, stats.WaitingWriters, stats.Cancellations));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_fired_writer_is_skipped_and_the_next_writer_takes_the_lock(bool fair)
    {
        var rw = new AsyncReaderWriterLock(fair);
        var holder = await rw.WriterLockAsync();
        using var cts = new CancellationTokenSource();
        var fired = rw.WriterLockAsync(cts.Token).AsTask();
        var next = rw.WriterLockAsync().AsTask();
        var reader = rw.ReaderLockAsync().AsTask();

        await ReleaseInTheWindowAsync(cts, holder.Dispose);

        var releaser = await next;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fired);
        Assert.True(releaser.IsWriter);
        Assert.False(reader.IsCompleted);
        releaser.Dispose();
        (await reader).Dispose();
        Assert.Equal(1L, rw.GetStatistics().Cancellations);
    }

    [Fact]
    public async Task Fair_mode_skips_a_fired_writer_in_the_middle_of_a_reader_batch()
    {
        var rw = new AsyncReaderWriterLock(fair: true);
        var holder = await rw.WriterLockAsync();
        using var cts = new CancellationTokenSource();
        var r1 = rw.ReaderLockAsync().AsTask();
        var fired = rw.WriterLockAsync(cts.Token).AsTask();
        var r2 = rw.ReaderLockAsync().AsTask();

        await ReleaseInTheWindowAsync(cts, holder.Dispose);

        var readers = await Task.WhenAll(r1, r2);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fired);
        Assert.Equal(2, rw.GetStatistics().ReaderCount);
        foreach (var reader in readers)
        {
            reader.Dispose();
        }
    }

    [Fact]
    public async Task Auto_reset_set_skips_a_fired_waiter_and_signals_the_next()
    {
        var ev = new AsyncAutoResetEvent();
        using var cts = new CancellationTokenSource();
        var cancelled = ev.WaitAsync(cts.Token).AsTask();
        var next = ev.WaitAsync().AsTask();

        await ReleaseInTheWindowAsync(cts, ev.Set);

        await next;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var stats = ev.GetStatistics();
        Assert.False(stats.IsSignalled);
        Assert.Equal((0, 1L), (stats.WaitingCount, stats.Cancellations));
    }

    [Fact]
    public async Task Auto_reset_set_with_only_fired_waiters_keeps_the_signal()
    {
        var ev = new AsyncAutoResetEvent();
        using var cts = new CancellationTokenSource();
        var cancelled = ev.WaitAsync(cts.Token).AsTask();

        await ReleaseInTheWindowAsync(cts, ev.Set);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.True(ev.IsSignalled);
        Assert.Equal(1L, ev.GetStatistics().Cancellations);
    }

    [Fact]
    public async Task Condition_notify_skips_a_fired_waiter_which_still_retakes_the_lock_in_queue_order()
    {
        var gate = new AsyncLock();
        var condition = new AsyncCondition(gate);
        using var cts = new CancellationTokenSource();
        var order = new List<string>();

        async Task WaiterAsync(string name, CancellationToken cancellationToken)
        {
            using (await gate.LockAsync(CancellationToken.None))
            {
                try
                {
                    await condition.WaitAsync(cancellationToken);
                    order.Add(name);
                }
                catch (OperationCanceledException)
                {
                    order.Add(name + " cancelled");
                    throw;
                }
                finally
                {
                    Assert.True(gate.IsLocked);
                }
            }
        }

        // Each call takes the free lock, queues on the condition and releases the lock, synchronously.
        var fired = WaiterAsync("fired", cts.Token);
        var live = WaiterAsync("live", CancellationToken.None);
        var untouched = WaiterAsync("untouched", CancellationToken.None);
        var notified = -1;

        await ReleaseInTheWindowAsync(cts, () =>
        {
            Assert.True(gate.TryLock(out var releaser));
            notified = condition.Notify();
            releaser.Dispose();
        });

        Assert.Equal(1, notified);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fired);
        await live;
        Assert.Equal(["fired cancelled", "live"], order);
        Assert.False(untouched.IsCompleted);
        var stats = condition.GetStatistics();
        Assert.Equal((1, 1L, 1L), (stats.WaitingCount, stats.Notified, stats.Cancellations));

        using (await gate.LockAsync())
        {
            Assert.Equal(1, condition.Notify());
        }

        await untouched;
    }

    [Fact]
    public async Task A_notified_condition_waiter_whose_token_fires_while_it_waits_for_the_lock_is_not_passed_over()
    {
        var gate = new AsyncLock();
        var condition = new AsyncCondition(gate);
        using var cts = new CancellationTokenSource();
        var heldAtEnd = false;

        async Task WaiterAsync()
        {
            using (await gate.LockAsync(CancellationToken.None))
            {
                await condition.WaitAsync(cts.Token);
                heldAtEnd = gate.IsLocked;
            }
        }

        var waiter = WaiterAsync();
        using (await gate.LockAsync())
        {
            Assert.Equal(1, condition.Notify()); // now queued for the lock, no longer cancellable
            await cts.CancelAsync();
        }

        await waiter; // handed the lock: its fired token does not make the lock's release pass it over
        Assert.True(heldAtEnd);
        Assert.False(gate.IsLocked);
        Assert.Equal((0L, 0L), (condition.GetStatistics().Cancellations, gate.GetStatistics().Cancellations));
    }
}
