using System.Runtime.CompilerServices;
using Braid.Tests.Shared;
using Braid.Time;
using Xunit.Abstractions;

namespace Braid.Tests.Time;

// These tests drive a value task's awaiter by hand, misuse it on purpose, and take no context so that
// continuations run where the race puts them.
#pragma warning disable CA2012, VSTHRD002, xUnit1030

/// <summary>
/// Issue 10, defect 4: <see cref="VirtualClock.DelayAsync"/> between threads, its misuse, its token
/// registrations, and advances that overlap. The races are forced in order where they can be; the
/// stress test at the end runs the real thing across threads.
/// </summary>
public sealed class VirtualClockDelayRaceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Fact]
    public async Task A_delay_that_fires_between_IsCompleted_and_OnCompleted_still_resumes_its_awaiter()
    {
        var clock = new VirtualClock();
        var awaiter = clock.DelayAsync(Tick).ConfigureAwait(false).GetAwaiter();
        Assert.False(awaiter.IsCompleted);

        // The race, in order: the awaiter saw "pending", the timer fires, then the continuation comes.
        clock.Advance(Tick);
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        awaiter.UnsafeOnCompleted(() =>
        {
            awaiter.GetResult();
            resumed.SetResult();
        });

        await resumed.Task.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task A_delay_cancelled_between_IsCompleted_and_OnCompleted_still_resumes_its_awaiter()
    {
        var clock = new VirtualClock();
        using var cts = new CancellationTokenSource();
        var awaiter = clock.DelayAsync(TimeSpan.FromSeconds(1), cts.Token).ConfigureAwait(false).GetAwaiter();
        Assert.False(awaiter.IsCompleted);
#pragma warning disable VSTHRD103 // Cancel synchronously: the cancellation must land before the continuation.
        cts.Cancel();
#pragma warning restore VSTHRD103
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        awaiter.UnsafeOnCompleted(() =>
        {
            try
            {
                awaiter.GetResult();
                resumed.SetException(new InvalidOperationException("a cancelled delay completed successfully"));
            }
            catch (OperationCanceledException ex)
            {
                resumed.SetResult();
                Assert.Equal(cts.Token, ex.CancellationToken);
            }
        });

        await resumed.Task.WaitAsync(HangGuard);
        Assert.Equal(0, clock.ActiveTimerCount);
        Assert.Equal(0, TokenRegistrations.Count(cts));
    }

    [Fact]
    public async Task Awaiting_a_delay_twice_throws_InvalidOperationException()
    {
        var clock = new VirtualClock();
        var delay = clock.DelayAsync(Tick);
        clock.Advance(Tick);
        await delay;
        Assert.Throws<InvalidOperationException>(() => delay.IsCompleted);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await delay);
    }

    [Fact]
    public void Reading_the_result_of_a_pending_delay_throws_InvalidOperationException()
    {
        var clock = new VirtualClock();
        var delay = clock.DelayAsync(Tick);
        Assert.Throws<InvalidOperationException>(() => delay.GetAwaiter().GetResult());
    }

    [Fact]
    public async Task A_second_continuation_on_a_pending_delay_is_refused_and_the_first_still_runs()
    {
        var clock = new VirtualClock();
        var delay = clock.DelayAsync(Tick);
        var first = delay.AsTask();
        Assert.Throws<InvalidOperationException>(() => delay.GetAwaiter().OnCompleted(() => { }));
        clock.Advance(Tick);
        await first.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Delays_leave_no_registration_on_a_long_lived_token_whether_they_fire_or_are_cancelled()
    {
        var clock = new VirtualClock();
        using var longLived = new CancellationTokenSource();

        // Fired.
        var fired = clock.DelayAsync(Tick, longLived.Token).AsTask();
        Assert.Equal(1, TokenRegistrations.Count(longLived));
        clock.Advance(Tick);
        await fired;
        Assert.Equal(0, TokenRegistrations.Count(longLived));

        // Cancelled by its own token: the long-lived one is linked in as the delay's token.
        using var own = CancellationTokenSource.CreateLinkedTokenSource(longLived.Token);
        var cancelled = clock.DelayAsync(TimeSpan.FromSeconds(1), own.Token).AsTask();
        Assert.Equal(1, TokenRegistrations.Count(own));
#pragma warning disable VSTHRD103 // Cancel synchronously: the delay completes inside Cancel.
        own.Cancel();
#pragma warning restore VSTHRD103
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(0, TokenRegistrations.Count(own));
        Assert.Equal(0, clock.ActiveTimerCount);

        // Already cancelled, or no delay at all: nothing is registered.
        _ = clock.DelayAsync(TimeSpan.FromSeconds(1), own.Token);
        _ = clock.DelayAsync(TimeSpan.Zero, longLived.Token);
        Assert.Equal(0, TokenRegistrations.Count(own));
        own.Dispose();
        Assert.Equal(0, TokenRegistrations.Count(longLived));
    }

    [Fact]
    public void An_advance_made_while_another_is_in_progress_adds_to_it()
    {
        // A timer callback advances the clock while the outer advance is at 0.5 s: the two compose,
        // as two threads each advancing 1 s must move the clock 2 s.
        var clock = new VirtualClock();
        var fired = new List<(string Name, TimeSpan At)>();
        using var inner = clock.CreateTimer(
            _ =>
            {
                fired.Add(("inner", clock.Elapsed));
                clock.Advance(TimeSpan.FromSeconds(1));
            },
            null,
            TimeSpan.FromMilliseconds(500),
            Timeout.InfiniteTimeSpan);
        using var late = clock.CreateTimer(_ => fired.Add(("late", clock.Elapsed)), null, TimeSpan.FromMilliseconds(1800), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(2), clock.Elapsed);
        Assert.Equal([("inner", TimeSpan.FromMilliseconds(500)), ("late", TimeSpan.FromMilliseconds(1800))], fired);
    }

    [Fact]
    public async Task Advances_from_two_threads_compose()
    {
        const int PerThread = 100_000;
        var clock = new VirtualClock();
        await RunOnTwoThreadsAsync(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                clock.Advance(Tick);
            }
        });
        Assert.Equal(TimeSpan.FromTicks(2 * PerThread), clock.Elapsed);
    }

    [Fact]
    public async Task Timers_never_fire_on_two_advancing_threads_at_once()
    {
        const int PerThread = 20_000;
        var clock = new VirtualClock();
        var inside = 0;
        var overlaps = 0;
        var firings = 0;
        using var periodic = clock.CreateTimer(
            _ =>
            {
                if (Interlocked.Increment(ref inside) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                Interlocked.Increment(ref firings);
                Thread.SpinWait(20);
                Interlocked.Decrement(ref inside);
            },
            null,
            Tick,
            Tick);
        await RunOnTwoThreadsAsync(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                clock.Advance(Tick);
            }
        });
        Assert.Equal((0, 2 * PerThread), (overlaps, firings));
    }

    [Fact]
    public async Task A_timer_that_fires_while_its_delay_is_being_started_leaves_no_registration_behind()
    {
        // One thread starts delays of one tick on a long-lived token while another advances the clock
        // tick by tick: timers fire as soon as they are armed, racing the registration of the token.
        const int Delays = 200_000;
        var clock = new VirtualClock();
        using var longLived = new CancellationTokenSource();
        var done = 0;
        await RunOnTwoThreadsAsync(
            () =>
            {
                for (var i = 0; i < Delays; i++)
                {
                    _ = clock.DelayAsync(Tick, longLived.Token);
                }

                Volatile.Write(ref done, 1);
            },
            () =>
            {
                while (Volatile.Read(ref done) == 0)
                {
                    clock.Advance(Tick);
                }
            });
        clock.Advance(Tick);
        Assert.Equal(0, clock.ActiveTimerCount);
        Assert.Equal(0, TokenRegistrations.Count(longLived));
    }

    private static async Task RunOnTwoThreadsAsync(Action first, Action? second = null)
    {
        using var start = new Barrier(2);
        var threads = new[] { first, second ?? first }.Select(body => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(HangGuard);
                body();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(threads).WaitAsync(HangGuard);
    }

    [Fact]
    public void A_delay_without_a_token_allocates_one_node_and_with_a_token_no_more_than_before()
    {
        var clock = new VirtualClock();
        using var cts = new CancellationTokenSource();
        Measure(default); // warm up: JIT, the token's registration list
        Measure(cts.Token);
        var plain = Measure(default);
        var cancellable = Measure(cts.Token);
        output.WriteLine($"DelayAsync + fire: {plain} B without a token, {cancellable} B with one");

        // 80 B: the node (timer links and awaiter state in one object). With a token, the
        // registration on top; the runtime keeps the token's freed callback nodes for reuse.
        Assert.True(plain <= 80, $"{plain} B without a token");
        Assert.True(cancellable <= 136, $"{cancellable} B with a token");

        // Waits due at the same instant share one bucket of the timer queue: what remains is per wait.
        long Measure(CancellationToken token)
        {
            const int Count = 1000;
            var delays = new ValueTask[Count];
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Count; i++)
            {
                delays[i] = clock.DelayAsync(Tick, token);
            }

            clock.Advance(Tick);
            for (var i = 0; i < Count; i++)
            {
                Consume(delays[i]);
            }

            return (GC.GetAllocatedBytesForCurrentThread() - before) / Count;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void Consume(ValueTask delay) => delay.GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Pool_workers_awaiting_delays_while_other_threads_advance_and_cancel_all_finish_and_leak_nothing()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        const int Workers = 4;
        const int DelaysPerWorker = 2_000;
        var clock = new VirtualClock();
        using var longLived = new CancellationTokenSource();
        var remaining = Workers;
        var workerSeeds = Enumerable.Range(0, Workers).Select(_ => random.Next()).ToArray();
        var cancellers = new CancellationTokenSource?[Workers];

        var workers = workerSeeds.Select((workerSeed, index) => Task.Run(() => WorkAsync(index, new Random(workerSeed)))).ToArray();
        var all = Task.WhenAll(workers);

        // The driver: advance by one tick at a time, and now and then cancel a worker's current delay,
        // until every worker is done (a dropped continuation would leave one waiting forever).
        var driver = Task.Factory.StartNew(
            () =>
            {
                var driverRandom = new Random(random.Next());
                var started = Environment.TickCount64;
                while (Volatile.Read(ref remaining) > 0 && Environment.TickCount64 - started < HangGuard.TotalMilliseconds)
                {
                    clock.Advance(Tick);
                    if (driverRandom.Next(8) == 0 && Volatile.Read(ref cancellers[driverRandom.Next(Workers)]) is { } victim)
                    {
                        try
                        {
#pragma warning disable VSTHRD103 // Cancel synchronously, on this thread, racing the worker's await.
                            victim.Cancel();
#pragma warning restore VSTHRD103
                        }
                        catch (ObjectDisposedException)
                        {
                            // The worker finished that delay and disposed its source: a lost race, fine.
                        }
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        await driver.WaitAsync(HangGuard);
        Assert.True(all.IsCompleted, $"{Volatile.Read(ref remaining)} of {Workers} workers never resumed (seed {seed})");
        await all;
        Assert.Equal(0, TokenRegistrations.Count(longLived));
        Assert.Equal(0, clock.ActiveTimerCount);

        async Task WorkAsync(int index, Random workerRandom)
        {
            for (var i = 0; i < DelaysPerWorker; i++)
            {
                var delay = TimeSpan.FromTicks(workerRandom.Next(1, 3));
                switch (workerRandom.Next(3))
                {
                    case 0:
                        await clock.DelayAsync(delay).ConfigureAwait(false);
                        break;
                    case 1:
                        await clock.DelayAsync(delay, longLived.Token).ConfigureAwait(false);
                        break;
                    default:
                        using (var own = CancellationTokenSource.CreateLinkedTokenSource(longLived.Token))
                        {
                            Volatile.Write(ref cancellers[index], own);
                            try
                            {
                                await clock.DelayAsync(delay, own.Token).ConfigureAwait(false);
                            }
                            catch (OperationCanceledException) when (own.IsCancellationRequested)
                            {
                            }

                            Volatile.Write(ref cancellers[index], null);
                        }

                        break;
                }
            }

            Interlocked.Decrement(ref remaining);
        }
    }
}
