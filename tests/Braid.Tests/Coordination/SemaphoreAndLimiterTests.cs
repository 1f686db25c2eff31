using Braid.Tests.Shared;
// Tests inspect ValueTasks for synchronous completion before consuming them once.
#pragma warning disable CA2012
using Braid.Coordination;
using Xunit.Abstractions;

namespace Braid.Tests.Coordination;

public sealed class SemaphoreAndLimiterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Release_of_many_wakes_that_many_waiters_in_order_and_keeps_the_rest()
    {
        var semaphore = new AsyncSemaphore(0);
        var waiters = Enumerable.Range(0, 3).Select(_ => semaphore.WaitAsync().AsTask()).ToArray();
        Assert.Equal(3, semaphore.GetStatistics().WaitingCount);
        semaphore.Release(2);
        await Task.WhenAll(waiters[0], waiters[1]);
        Assert.False(waiters[2].IsCompleted);
        Assert.Equal(0, semaphore.CurrentCount);
        semaphore.Release(3);
        await waiters[2];
        Assert.Equal(2, semaphore.CurrentCount);
        Assert.Equal(new AsyncSemaphoreStatistics(2, int.MaxValue, 0, 3, 0), semaphore.GetStatistics());
    }

    [Fact]
    public void Releasing_beyond_the_maximum_throws_and_changes_nothing()
    {
        var semaphore = new AsyncSemaphore(1, 2);
        Assert.Throws<SemaphoreFullException>(() => semaphore.Release(2));
        Assert.Equal(1, semaphore.CurrentCount);
        semaphore.Release();
        Assert.Equal(2, semaphore.CurrentCount);
        Assert.True(semaphore.TryWait());
        Assert.True(semaphore.TryWait());
        Assert.False(semaphore.TryWait());
    }

    [Fact]
    public async Task Semaphore_stress_with_random_cancellation_never_exceeds_its_permits()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var semaphore = new AsyncSemaphore(3);
        var inside = 0;
        var peak = 0;
        long done = 0, cancelled = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed + w);
            for (var i = 0; i < 200; i++)
            {
                using var cts = new CancellationTokenSource();
                var pending = semaphore.WaitAsync(cts.Token);
                if (random.Next(4) == 0)
                {
                    _ = Task.Run(cts.Cancel);
                }

                try
                {
                    await pending;
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                    continue;
                }

                var now = Interlocked.Increment(ref inside);
                InterlockedMax.Raise(ref peak, now);
                await Task.Yield();
                Interlocked.Decrement(ref inside);
                Interlocked.Increment(ref done);
                semaphore.Release();
            }
        })));
        output.WriteLine($"done {done}, cancelled {cancelled}, peak {peak}");
        Assert.InRange(peak, 1, 3);
        Assert.Equal(8 * 200, done + cancelled);
        Assert.Equal(3, semaphore.CurrentCount);
        Assert.Equal(0, semaphore.GetStatistics().WaitingCount);
    }

    [Fact]
    public async Task Only_the_borrower_that_took_a_token_may_release_it()
    {
        var limiter = new CapacityLimiter(2);
        var alice = new object();
        var bob = new object();
        using var lease = await limiter.AcquireOnBehalfOfAsync(alice);
        Assert.Same(alice, lease.Borrower);
        Assert.Throws<InvalidOperationException>(() => limiter.ReleaseOnBehalfOf(bob));
        Assert.Throws<InvalidOperationException>(() => limiter.TryAcquireOnBehalfOf(alice, out _));
        Assert.Equal(1, limiter.BorrowedTokens);
        Assert.Equal(new CapacityLimiterStatistics(2, 1, 1, 0, 0, 0), limiter.GetStatistics());
    }

    [Fact]
    public async Task A_borrower_waiting_for_a_token_cannot_queue_twice()
    {
        var limiter = new CapacityLimiter(1);
        var held = await limiter.AcquireAsync();
        var borrower = new object();
        var waiting = limiter.AcquireOnBehalfOfAsync(borrower).AsTask();
        Assert.Throws<InvalidOperationException>(() => limiter.AcquireOnBehalfOfAsync(borrower));
        held.Dispose();
        (await waiting).Dispose();
        Assert.Equal(0, limiter.BorrowedTokens);
    }

    [Fact]
    public async Task Raising_the_total_wakes_waiters_at_once_and_lowering_takes_nothing_back()
    {
        var limiter = new CapacityLimiter(1);
        var first = await limiter.AcquireAsync();
        var waiters = Enumerable.Range(0, 3).Select(_ => limiter.AcquireAsync().AsTask()).ToArray();
        Assert.Equal(3, limiter.GetStatistics().WaitingCount);

        limiter.TotalTokens = 3;
        var leases = await Task.WhenAll(waiters[0], waiters[1]);
        Assert.False(waiters[2].IsCompleted);
        Assert.Equal(3, limiter.BorrowedTokens);

        limiter.TotalTokens = 1;
        Assert.Equal(3, limiter.BorrowedTokens);
        first.Dispose();
        leases[0].Dispose();
        Assert.False(waiters[2].IsCompleted); // 1 borrowed, total 1: nothing lent yet
        leases[1].Dispose();
        (await waiters[2]).Dispose();
        Assert.Equal(0, limiter.BorrowedTokens);
        Assert.Equal(1, limiter.AvailableTokens);
    }

    [Fact]
    public async Task A_cancelled_borrower_may_try_again()
    {
        var limiter = new CapacityLimiter(1);
        var held = await limiter.AcquireAsync();
        var borrower = new object();
        using var cts = new CancellationTokenSource();
        var waiting = limiter.AcquireOnBehalfOfAsync(borrower, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        Assert.True(limiter.TryAcquireOnBehalfOf(borrower, out var lease));
        lease.Dispose();
        Assert.Equal(new CapacityLimiterStatistics(1, 0, 0, 0, 1, 1), limiter.GetStatistics());
    }

    [Fact]
    public void Disposing_an_anonymous_lease_twice_is_reported()
    {
        var limiter = new CapacityLimiter(1);
        Assert.True(limiter.TryAcquire(out var lease));
        lease.Dispose();
        Assert.Throws<InvalidOperationException>(lease.Dispose);
    }
}
