using Braid.Coordination;
using Braid.Tests.Support;
using Xunit.Abstractions;

namespace Braid.Tests.Coordination;

/// <summary>
/// The contract of every mutual-exclusion primitive, run once per variant: an <see cref="AsyncLock"/>, an
/// <see cref="AsyncSemaphore"/> of one, a <see cref="CapacityLimiter"/> of one (anonymous and named
/// borrowers), and the writer side of both reader-writer lock modes.
/// </summary>
public abstract class LockContractTests(ITestOutputHelper output)
{
    /// <summary>Whether this variant runs every test on an <c>AsyncLoop</c> with an autojumping clock (rule 36).</summary>
    protected virtual bool OnLoop => false;

    private Task RunContract(Func<Task> body, bool usesThreads = false) => ContractLoop.RunAsync(OnLoop, body, usesThreads);

    private Task CancelAsync(CancellationTokenSource source) => ContractLoop.CancelAsync(OnLoop, source);

    [ThreadStatic]
    private static bool t_inRelease;

    protected ITestOutputHelper Output { get; } = output;

    protected abstract ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken);

    protected abstract bool TryAcquire(out IDisposable? releaser);

    protected abstract int WaitingCount { get; }

    protected abstract long Cancellations { get; }

    [Fact]
    public Task Uncontended_acquire_completes_synchronously_and_excludes_TryAcquire() => RunContract(async () =>
    {
        var pending = AcquireAsync(CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully);
        var held = await pending;
        Assert.False(TryAcquire(out _));
        held.Dispose();
        Assert.True(TryAcquire(out var again));
        again!.Dispose();
    });

    [Fact]
    public Task Waiters_are_served_first_come_first_served() => RunContract(async () =>
    {
        var holder = await AcquireAsync(CancellationToken.None);
        var order = new List<int>();
        var tasks = new List<Task>();
        for (var i = 0; i < 6; i++)
        {
            var index = i;
            var pending = AcquireAsync(CancellationToken.None);
            Assert.Equal(i + 1, WaitingCount);
            tasks.Add(RecordAsync(pending, index));
        }

        Assert.False(TryAcquire(out _));
        holder.Dispose();
        await Task.WhenAll(tasks);
        Assert.Equal([0, 1, 2, 3, 4, 5], order);
        Assert.Equal(0, WaitingCount);

        async Task RecordAsync(ValueTask<IDisposable> pending, int index)
        {
            using var releaser = await pending;
            lock (order)
            {
                order.Add(index);
            }
        }
    });

    [Fact]
    public Task Releasing_hands_off_directly_so_a_newcomer_cannot_barge() => RunContract(async () =>
    {
        var holder = await AcquireAsync(CancellationToken.None);
        var waiter = AcquireAsync(CancellationToken.None).AsTask();
        holder.Dispose();

        // The lock now belongs to the waiter even if its continuation has not run yet.
        Assert.False(TryAcquire(out _));
        var newcomer = AcquireAsync(CancellationToken.None);
        Assert.False(newcomer.IsCompleted);
        (await waiter).Dispose();
        (await newcomer).Dispose();
    });

    [Fact]
    public Task Releasing_never_runs_the_waiters_continuation_inline() => RunContract(async () =>
    {
        var holder = await AcquireAsync(CancellationToken.None);
        var pending = AcquireAsync(CancellationToken.None);
        var sawInline = RunAfterAsync(pending);
        t_inRelease = true;
        try
        {
            holder.Dispose();
        }
        finally
        {
            t_inRelease = false;
        }

        Assert.False(await sawInline);

        static async Task<bool> RunAfterAsync(ValueTask<IDisposable> pending)
        {
            var releaser = await pending;
            var inline = t_inRelease;
            releaser.Dispose();
            return inline;
        }
    });

    [Fact]
    public Task A_waiter_cancelled_while_queued_takes_nothing_and_the_next_waiter_gets_the_lock() => RunContract(async () =>
    {
        var holder = await AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var first = AcquireAsync(cts.Token).AsTask();
        var second = AcquireAsync(CancellationToken.None).AsTask();
        Assert.Equal(2, WaitingCount);

        await CancelAsync(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal(1, WaitingCount);
        Assert.Equal(1, Cancellations);

        holder.Dispose();
        (await second).Dispose();
        Assert.True(TryAcquire(out var last));
        last!.Dispose();
    });

    [Fact]
    public Task An_already_cancelled_token_fails_even_when_free_and_leaves_the_lock_free() => RunContract(async () =>
    {
        using var cts = new CancellationTokenSource();
        await CancelAsync(cts);
        var pending = AcquireAsync(cts.Token);
        Assert.True(pending.IsCanceled);
        Assert.True(TryAcquire(out var releaser));
        releaser!.Dispose();
    });

    [Fact]
    public Task Cancelling_the_only_waiter_leaves_the_lock_free_after_release() => RunContract(async () =>
    {
        var holder = await AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiter = AcquireAsync(cts.Token).AsTask();
        await CancelAsync(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        holder.Dispose();
        Assert.True(TryAcquire(out var releaser));
        releaser!.Dispose();
    });

    [Fact]
    public Task A_release_before_the_cancellation_hands_the_lock_and_the_late_cancellation_changes_nothing() => RunContract(async () =>
    {
        var holder = await AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiter = AcquireAsync(cts.Token);
        holder.Dispose();
        await CancelAsync(cts); // the waiter was already dequeued: its callback finds it gone

        var releaser = await waiter;
        Assert.False(TryAcquire(out _));
        Assert.Equal(0, Cancellations);
        releaser.Dispose();
        Assert.True(TryAcquire(out var after));
        after!.Dispose();
    });

    [Fact]
    public Task A_waiter_whose_token_fired_is_passed_over_at_hand_off_before_its_callback_ran() => RunContract(async () =>
    {
        // Cancellation callbacks run in reverse registration order: ours, registered after the waiter's, runs
        // first: the token is cancelled but the waiter is still queued when we release. The release must
        // not hand it the lock (a cancelled wait did not happen), and the lock stays free.
        var holder = await AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiter = AcquireAsync(cts.Token).AsTask();
        var waitingAtRelease = -1;
        using (cts.Token.Register(() =>
        {
            waitingAtRelease = WaitingCount;
            holder.Dispose();
        }))
        {
            await CancelAsync(cts);
        }

        Assert.Equal(1, waitingAtRelease); // the window was real: the waiter's own callback had not run yet
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal(0, WaitingCount);
        Assert.Equal(1, Cancellations); // counted once, by the release; the late callback found it gone
        Assert.True(TryAcquire(out var after));
        after!.Dispose();
    });

    [Fact]
    public Task A_release_passes_over_a_waiter_whose_token_fired_and_hands_the_lock_to_the_next() => RunContract(async () =>
    {
        var holder = await AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = AcquireAsync(cts.Token).AsTask();
        var next = AcquireAsync(CancellationToken.None).AsTask();
        var waitingAtRelease = -1;
        using (cts.Token.Register(() =>
        {
            waitingAtRelease = WaitingCount;
            holder.Dispose();
        }))
        {
            await CancelAsync(cts);
        }

        Assert.Equal(2, waitingAtRelease);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var releaser = await next;
        Assert.False(TryAcquire(out _));
        Assert.Equal((0, 1L), (WaitingCount, Cancellations));
        releaser.Dispose();
        Assert.True(TryAcquire(out var after));
        after!.Dispose();
    });

    [Fact]
    public Task Hand_off_racing_cancellation_cancel_first_means_the_next_waiter_gets_the_lock() => RunContract(async () =>
    {
        // Ours is registered before the waiter's, so it runs after: the waiter has left when we release.
        var holder = await AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        using var registration = cts.Token.Register(holder.Dispose);
        var cancelled = AcquireAsync(cts.Token).AsTask();
        var next = AcquireAsync(CancellationToken.None).AsTask();
        await CancelAsync(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var releaser = await next;
        Assert.Equal(0, WaitingCount);
        releaser.Dispose();
        Assert.True(TryAcquire(out var after));
        after!.Dispose();
    });

    [Fact]
    public Task Randomized_cancellation_stress_keeps_mutual_exclusion_and_exact_totals() => RunContract(async () =>
    {
        var seed = Environment.TickCount;
        Output.WriteLine($"seed {seed}");
        var inside = 0;
        var violations = 0;
        long acquired = 0;
        long cancelled = 0;
        var total = 0L;
        const int Workers = 8;
        const int Iterations = 250;

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed + w);
            for (var i = 0; i < Iterations; i++)
            {
                using var cts = new CancellationTokenSource();
                var pending = AcquireAsync(cts.Token);
                var roll = random.Next(4);
                if (roll == 0)
                {
                    await CancelAsync(cts);
                }
                else if (roll == 1)
                {
                    _ = Task.Run(cts.Cancel);
                }

                IDisposable releaser;
                try
                {
                    releaser = await pending;
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                    continue;
                }

                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref violations);
                }

                total++; // unsynchronised on purpose: the lock is what protects it
                if (random.Next(3) == 0)
                {
                    await Task.Yield();
                }

                Interlocked.Decrement(ref inside);
                Interlocked.Increment(ref acquired);
                releaser.Dispose();
            }
        })).ToArray();

        await Task.WhenAll(workers);
        Output.WriteLine($"acquired {acquired}, cancelled {cancelled}");
        Assert.Equal(0, violations);
        Assert.Equal(Workers * Iterations, acquired + cancelled);
        Assert.Equal(acquired, total);
        Assert.Equal(0, WaitingCount);
        Assert.True(TryAcquire(out var last), "the lock must be free at the end");
        last!.Dispose();
    }, usesThreads: true);
}

public class AsyncLockContractTests(ITestOutputHelper output) : LockContractTests(output)
{
    private readonly AsyncLock _lock = new();

    protected override int WaitingCount => _lock.GetStatistics().WaitingCount;

    protected override long Cancellations => _lock.GetStatistics().Cancellations;

    protected override async ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken) => await _lock.LockAsync(cancellationToken);

    protected override bool TryAcquire(out IDisposable? releaser)
    {
        var taken = _lock.TryLock(out var r);
        releaser = taken ? r : null;
        return taken;
    }
}

public class AsyncSemaphoreOfOneContractTests(ITestOutputHelper output) : LockContractTests(output)
{
    private readonly AsyncSemaphore _semaphore = new(1, 1);

    protected override int WaitingCount => _semaphore.GetStatistics().WaitingCount;

    protected override long Cancellations => _semaphore.GetStatistics().Cancellations;

    protected override async ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken) => await _semaphore.AcquireAsync(cancellationToken);

    protected override bool TryAcquire(out IDisposable? releaser)
    {
        var taken = _semaphore.TryAcquire(out var r);
        releaser = taken ? r : null;
        return taken;
    }
}

public class AsyncSemaphoreWaitReleaseContractTests(ITestOutputHelper output) : LockContractTests(output)
{
    private readonly AsyncSemaphore _semaphore = new(1, 1);

    protected override int WaitingCount => _semaphore.GetStatistics().WaitingCount;

    protected override long Cancellations => _semaphore.GetStatistics().Cancellations;

    protected override async ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        await _semaphore.WaitAsync(cancellationToken);
        return new Releaser(_semaphore);
    }

    protected override bool TryAcquire(out IDisposable? releaser)
    {
        var taken = _semaphore.TryWait();
        releaser = taken ? new Releaser(_semaphore) : null;
        return taken;
    }

    private sealed class Releaser(AsyncSemaphore semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }
}

public class CapacityLimiterOfOneContractTests(ITestOutputHelper output) : LockContractTests(output)
{
    private readonly CapacityLimiter _limiter = new(1);

    protected override int WaitingCount => _limiter.GetStatistics().WaitingCount;

    protected override long Cancellations => _limiter.GetStatistics().Cancellations;

    protected override async ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken) => await _limiter.AcquireAsync(cancellationToken);

    protected override bool TryAcquire(out IDisposable? releaser)
    {
        var taken = _limiter.TryAcquire(out var lease);
        releaser = taken ? lease : null;
        return taken;
    }
}

public class CapacityLimiterNamedBorrowerContractTests(ITestOutputHelper output) : LockContractTests(output)
{
    private readonly CapacityLimiter _limiter = new(1);

    protected override int WaitingCount => _limiter.GetStatistics().WaitingCount;

    protected override long Cancellations => _limiter.GetStatistics().Cancellations;

    protected override async ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        var borrower = new object();
        await _limiter.AcquireOnBehalfOfAsync(borrower, cancellationToken);
        return new Releaser(_limiter, borrower);
    }

    protected override bool TryAcquire(out IDisposable? releaser)
    {
        var borrower = new object();
        var taken = _limiter.TryAcquireOnBehalfOf(borrower, out _);
        releaser = taken ? new Releaser(_limiter, borrower) : null;
        return taken;
    }

    private sealed class Releaser(CapacityLimiter limiter, object borrower) : IDisposable
    {
        public void Dispose() => limiter.ReleaseOnBehalfOf(borrower);
    }
}

public class ReaderWriterLockWriterContractTests(ITestOutputHelper output) : LockContractTests(output)
{
    private readonly AsyncReaderWriterLock _lock = new();

    protected override int WaitingCount => _lock.GetStatistics().WaitingWriters;

    protected override long Cancellations => _lock.GetStatistics().Cancellations;

    protected override async ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken) => await _lock.WriterLockAsync(cancellationToken);

    protected override bool TryAcquire(out IDisposable? releaser)
    {
        var taken = _lock.TryWriterLock(out var r);
        releaser = taken ? r : null;
        return taken;
    }
}

public class FairReaderWriterLockWriterContractTests(ITestOutputHelper output) : LockContractTests(output)
{
    private readonly AsyncReaderWriterLock _lock = new(fair: true);

    protected override int WaitingCount => _lock.GetStatistics().WaitingWriters;

    protected override long Cancellations => _lock.GetStatistics().Cancellations;

    protected override async ValueTask<IDisposable> AcquireAsync(CancellationToken cancellationToken) => await _lock.WriterLockAsync(cancellationToken);

    protected override bool TryAcquire(out IDisposable? releaser)
    {
        var taken = _lock.TryWriterLock(out var r);
        releaser = taken ? r : null;
        return taken;
    }
}

public sealed class AsyncLockContractOnLoopTests(ITestOutputHelper output) : AsyncLockContractTests(output)
{
    protected override bool OnLoop => true;
}

public sealed class AsyncSemaphoreOfOneContractOnLoopTests(ITestOutputHelper output) : AsyncSemaphoreOfOneContractTests(output)
{
    protected override bool OnLoop => true;
}

public sealed class AsyncSemaphoreWaitReleaseContractOnLoopTests(ITestOutputHelper output) : AsyncSemaphoreWaitReleaseContractTests(output)
{
    protected override bool OnLoop => true;
}

public sealed class CapacityLimiterOfOneContractOnLoopTests(ITestOutputHelper output) : CapacityLimiterOfOneContractTests(output)
{
    protected override bool OnLoop => true;
}

public sealed class CapacityLimiterNamedBorrowerContractOnLoopTests(ITestOutputHelper output) : CapacityLimiterNamedBorrowerContractTests(output)
{
    protected override bool OnLoop => true;
}

public sealed class ReaderWriterLockWriterContractOnLoopTests(ITestOutputHelper output) : ReaderWriterLockWriterContractTests(output)
{
    protected override bool OnLoop => true;
}

public sealed class FairReaderWriterLockWriterContractOnLoopTests(ITestOutputHelper output) : FairReaderWriterLockWriterContractTests(output)
{
    protected override bool OnLoop => true;
}
