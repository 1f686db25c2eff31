using Braid.Loop;
using Braid.Time;

namespace Braid.Tests.Time;

public sealed class VirtualClockTests
{
    [Fact]
    public void Time_moves_only_when_advanced()
    {
        var clock = new VirtualClock();
        var start = clock.GetUtcNow();
        var ts = clock.GetTimestamp();
        Assert.Equal(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), start);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(start.AddSeconds(5), clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(5), clock.GetElapsedTime(ts));
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(TimeSpan.FromTicks(-1)));
    }

    [Fact]
    public void Timers_fire_in_due_order_and_in_creation_order_at_equal_times()
    {
        var clock = new VirtualClock();
        var fired = new List<(string Name, TimeSpan At)>();
        using var c = clock.CreateTimer(_ => fired.Add(("c", clock.Elapsed)), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        using var a = clock.CreateTimer(_ => fired.Add(("a", clock.Elapsed)), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var b = clock.CreateTimer(_ => fired.Add(("b", clock.Elapsed)), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var d = clock.CreateTimer(_ => fired.Add(("d", clock.Elapsed)), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(
            [("a", TimeSpan.FromSeconds(1)), ("b", TimeSpan.FromSeconds(1)), ("c", TimeSpan.FromSeconds(2)), ("d", TimeSpan.FromSeconds(2))],
            fired);
        Assert.Equal(TimeSpan.FromSeconds(10), clock.Elapsed);
        Assert.Equal(0, clock.ActiveTimerCount);
    }

    [Fact]
    public void Periodic_timers_fire_each_period_and_stop_when_disposed()
    {
        var clock = new VirtualClock();
        var ticks = new List<TimeSpan>();
        var timer = clock.CreateTimer(_ => ticks.Add(clock.Elapsed), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)], ticks);
        timer.Dispose();
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(3, ticks.Count);
        Assert.False(timer.Change(TimeSpan.Zero, TimeSpan.Zero));
    }

    [Fact]
    public void A_periodic_timer_rearmed_into_an_instant_newer_timers_hold_still_fires_first()
    {
        // The periodic timer is created first; its second firing (at 3 s) lands in the instant
        // that two later one-shot timers already wait for, and one of those is disposed on the way.
        var clock = new VirtualClock();
        var fired = new List<(string Name, TimeSpan At)>();
        using var periodic = clock.CreateTimer(_ => fired.Add(("periodic", clock.Elapsed)), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        using var later = clock.CreateTimer(_ => fired.Add(("later", clock.Elapsed)), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        var dropped = clock.CreateTimer(_ => fired.Add(("dropped", clock.Elapsed)), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using var last = clock.CreateTimer(_ => fired.Add(("last", clock.Elapsed)), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(2));
        dropped.Dispose();
        Assert.Equal(3, clock.ActiveTimerCount);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(
            [("periodic", TimeSpan.FromSeconds(1)), ("periodic", TimeSpan.FromSeconds(3)), ("later", TimeSpan.FromSeconds(3)), ("last", TimeSpan.FromSeconds(3))],
            fired);
        Assert.Equal(1, clock.ActiveTimerCount);
    }

    [Fact]
    public void Change_moves_a_timer_and_infinite_disarms_it()
    {
        var clock = new VirtualClock();
        var fired = 0;
        using var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.True(timer.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, fired);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, fired);
        Assert.True(timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, fired);
    }

    [Fact]
    public async Task Task_Delay_and_CancellationTokenSource_run_on_virtual_time()
    {
        var clock = new VirtualClock();
        var delay = Task.Delay(TimeSpan.FromMinutes(1), clock);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30), clock);
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(cts.IsCancellationRequested);
        Assert.False(delay.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(30));
        await delay;
    }

    [Fact]
    public void Autojump_runs_30_virtual_seconds_without_waiting()
    {
        var clock = new VirtualClock { AutoJump = true };
        var elapsed = AsyncLoop.Run(
            async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(30), clock);
                return clock.Elapsed;
            },
            new AsyncLoopOptions { TimeProvider = clock });
        Assert.Equal(TimeSpan.FromSeconds(30), elapsed);
    }

    [Fact]
    public void Autojump_resumes_waiters_due_at_the_same_instant_in_creation_order()
    {
        var clock = new VirtualClock { AutoJump = true };
        var order = new List<(int Id, TimeSpan At)>();
        AsyncLoop.Run(
            async () =>
            {
                var tasks = new List<Task>();
                foreach (var (id, seconds) in new[] { (0, 2), (1, 1), (2, 2), (3, 1), (4, 2) })
                {
                    tasks.Add(SleepAsync(id, seconds));
                }

                await Task.WhenAll(tasks);
            },
            new AsyncLoopOptions { TimeProvider = clock });

        Assert.Equal(
            [(1, TimeSpan.FromSeconds(1)), (3, TimeSpan.FromSeconds(1)), (0, TimeSpan.FromSeconds(2)), (2, TimeSpan.FromSeconds(2)), (4, TimeSpan.FromSeconds(2))],
            order);

        async Task SleepAsync(int id, int seconds)
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), clock);
            order.Add((id, clock.Elapsed));
        }
    }

    [Fact]
    public void Concurrent_waits_take_the_longest_not_the_sum()
    {
        var clock = new VirtualClock { AutoJump = true };
        var elapsed = AsyncLoop.Run(
            async () =>
            {
                await Task.WhenAll(
                    Task.Delay(TimeSpan.FromSeconds(3), clock),
                    Task.Delay(TimeSpan.FromSeconds(5), clock),
                    Task.Delay(TimeSpan.FromSeconds(1), clock));
                return clock.Elapsed;
            },
            new AsyncLoopOptions { TimeProvider = clock });
        Assert.Equal(TimeSpan.FromSeconds(5), elapsed);
    }

    [Fact]
    public void Without_autojump_the_loop_waits_for_a_manual_advance()
    {
        var clock = new VirtualClock();
        var elapsed = AsyncLoop.Run(
            async () =>
            {
                var delay = Task.Delay(TimeSpan.FromSeconds(10), clock);
                await Task.Yield();
                Assert.False(delay.IsCompleted);
                _ = Task.Run(() => clock.Advance(TimeSpan.FromSeconds(10)));
                await delay;
                return clock.Elapsed;
            },
            new AsyncLoopOptions { TimeProvider = clock });
        Assert.Equal(TimeSpan.FromSeconds(10), elapsed);
    }

    [Fact]
    public void WaitAllTasksBlocked_takes_priority_over_autojump()
    {
        var clock = new VirtualClock { AutoJump = true };
        var log = new List<string>();
        AsyncLoop.Run(
            async () =>
            {
                var loop = AsyncLoop.Current!;
                var sleeper = SleepAsync();
                var worker = WorkAsync();
                await loop.WaitAllTasksBlockedAsync();

                // Every task is blocked (the sleeper on its timer), yet no time has passed.
                log.Add($"blocked at {clock.Elapsed.TotalSeconds}s");
                await Task.WhenAll(sleeper, worker);
                log.Add($"done at {clock.Elapsed.TotalSeconds}s");
            },
            new AsyncLoopOptions { TimeProvider = clock });

        Assert.Equal(["worker done", "blocked at 0s", "slept until 5s", "done at 5s"], log);

        async Task SleepAsync()
        {
            await Task.Delay(TimeSpan.FromSeconds(5), clock);
            log.Add($"slept until {clock.Elapsed.TotalSeconds}s");
        }

        async Task WorkAsync()
        {
            for (var i = 0; i < 10; i++)
            {
                await Task.Yield();
            }

            log.Add("worker done");
        }
    }

    [Fact]
    public void WaitAllTasksBlocked_can_be_cancelled()
    {
        AsyncLoop.Run(async () =>
        {
            using var cts = new CancellationTokenSource();
            var wait = AsyncLoop.Current!.WaitAllTasksBlockedAsync(cts.Token);
#pragma warning disable VSTHRD103 // Cancel synchronously: CancelAsync would let the loop go idle first.
            cts.Cancel();
#pragma warning restore VSTHRD103
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
            Assert.Equal(0, AsyncLoop.Current.GetStatistics().QueueLength);
        });
    }
}

public sealed class VirtualClockDelayTests
{
    [Fact]
    public void DelayAsync_is_exact_to_the_tick_and_resumes_on_the_loop_in_start_order()
    {
        var clock = new VirtualClock { AutoJump = true };
        var loopThread = Environment.CurrentManagedThreadId;
        var order = new List<(int Id, long Ticks, bool OnLoop)>();
        AsyncLoop.Run(
            async () =>
            {
                await Task.WhenAll(SleepAsync(0, 10), SleepAsync(1, 5), SleepAsync(2, 10), SleepAsync(3, 5));
            },
            new AsyncLoopOptions { TimeProvider = clock });
        Assert.Equal([(1, 5L, true), (3, 5L, true), (0, 10L, true), (2, 10L, true)], order);

        async Task SleepAsync(int id, long ticks)
        {
            await clock.DelayAsync(TimeSpan.FromTicks(ticks));
            order.Add((id, clock.Elapsed.Ticks, Environment.CurrentManagedThreadId == loopThread));
        }
    }

    [Fact]
    public void DelayAsync_and_timers_due_together_fire_in_creation_order()
    {
        var clock = new VirtualClock();
        var log = new List<string>();
        var first = LogAfterAsync();
        using var timer = clock.CreateTimer(_ => log.Add("timer"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(first.IsCompleted);
        Assert.Equal(["delay", "timer"], log);

        // No context: the continuation runs inline, on the thread advancing the clock.
        async Task LogAfterAsync()
        {
            await clock.DelayAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            log.Add("delay");
        }
    }

    [Fact]
    public async Task DelayAsync_completes_at_once_for_no_delay_and_can_be_cancelled()
    {
        var clock = new VirtualClock();
        Assert.True(IsDone(clock.DelayAsync(TimeSpan.Zero)));
        using var cts = new CancellationTokenSource();
        var waiting = clock.DelayAsync(TimeSpan.FromSeconds(5), cts.Token).AsTask();
        Assert.Equal(1, clock.ActiveTimerCount);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, clock.ActiveTimerCount);
        clock.Advance(TimeSpan.FromSeconds(10)); // the cancelled wait does not fire later

        Assert.True(IsCanceled(clock.DelayAsync(TimeSpan.FromSeconds(1), cts.Token)));
    }

    private static bool IsDone(ValueTask task) => task.IsCompletedSuccessfully;

    private static bool IsCanceled(ValueTask task) => task.IsCanceled;

    [Fact]
    public async Task DelayAsync_that_fired_ignores_a_later_cancellation()
    {
        var clock = new VirtualClock();
        using var cts = new CancellationTokenSource();
        var waiting = clock.DelayAsync(TimeSpan.FromSeconds(1), cts.Token).AsTask();
        clock.Advance(TimeSpan.FromSeconds(1));
        await waiting;
        await cts.CancelAsync();
        Assert.True(waiting.IsCompletedSuccessfully);
    }
}
