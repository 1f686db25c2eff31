// Tests inspect ValueTasks for synchronous completion before consuming them once.
#pragma warning disable CA2012
using Braid.Coordination;
using Xunit.Abstractions;

namespace Braid.Tests.Coordination;

public sealed class EventTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Set_releases_every_waiter_and_later_waits_complete_at_once_until_cleared()
    {
        var ev = new AsyncEvent();
        var waiters = Enumerable.Range(0, 4).Select(_ => ev.WaitAsync().AsTask()).ToArray();
        Assert.Equal(4, ev.GetStatistics().WaitingCount);
        Assert.False(ev.TryWait());
        ev.Set();
        await Task.WhenAll(waiters);
        Assert.True(ev.WaitAsync().IsCompletedSuccessfully);
        ev.Clear();
        Assert.False(ev.WaitAsync(new CancellationTokenSource().Token).IsCompleted);
        Assert.Equal(new AsyncEventStatistics(false, 1, 1, 0), ev.GetStatistics());
    }

    [Fact]
    public async Task A_cancelled_event_wait_leaves_the_queue()
    {
        var ev = new AsyncEvent();
        using var cts = new CancellationTokenSource();
        var waiter = ev.WaitAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal(new AsyncEventStatistics(false, 0, 0, 1), ev.GetStatistics());
    }

    [Fact]
    public async Task Auto_reset_set_releases_exactly_one_waiter_in_order()
    {
        var ev = new AsyncAutoResetEvent();
        var waiters = Enumerable.Range(0, 3).Select(_ => ev.WaitAsync().AsTask()).ToArray();
        ev.Set();
        await waiters[0];
        Assert.False(waiters[1].IsCompleted);
        ev.Set();
        await waiters[1];
        Assert.False(waiters[2].IsCompleted);
        ev.Set();
        await waiters[2];
        Assert.False(ev.IsSignalled);
    }

    [Fact]
    public void Auto_reset_signals_do_not_accumulate()
    {
        var ev = new AsyncAutoResetEvent();
        ev.Set();
        ev.Set();
        Assert.True(ev.TryWait());
        Assert.False(ev.TryWait());
        Assert.True(new AsyncAutoResetEvent(initiallySignalled: true).WaitAsync().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Auto_reset_signal_racing_a_cancellation_goes_to_the_next_waiter_not_the_cancelled_one()
    {
        var ev = new AsyncAutoResetEvent();
        using var cts = new CancellationTokenSource();
        using var registration = cts.Token.Register(ev.Set); // runs after the waiter's own callback
        var cancelled = ev.WaitAsync(cts.Token).AsTask();
        var next = ev.WaitAsync().AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await next;
        Assert.False(ev.IsSignalled);
    }

    [Fact]
    public async Task Auto_reset_signal_racing_the_cancellation_of_the_only_waiter_stays_in_the_event()
    {
        var ev = new AsyncAutoResetEvent();
        using var cts = new CancellationTokenSource();
        using var registration = cts.Token.Register(ev.Set);
        var cancelled = ev.WaitAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.True(ev.IsSignalled);
        Assert.Equal(1, ev.GetStatistics().Cancellations);
    }

    [Fact]
    public async Task Auto_reset_stress_every_signal_is_consumed_exactly_once()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var ev = new AsyncAutoResetEvent();
        var consumed = 0;
        const int Signals = 400;
        using var stop = new CancellationTokenSource();
        var consumers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed + w);
            while (true)
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                var pending = ev.WaitAsync(cts.Token);
                if (random.Next(3) == 0)
                {
                    _ = Task.Run(cts.Cancel);
                }

                try
                {
                    await pending;
                    Interlocked.Increment(ref consumed);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        })).ToArray();

        // One signal at a time: wait until it was consumed before the next, so none merges with another.
        for (var i = 1; i <= Signals; i++)
        {
            ev.Set();
            while (Volatile.Read(ref consumed) < i)
            {
                await Task.Yield();
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(consumers);
        Assert.Equal(Signals, consumed);
        Assert.False(ev.IsSignalled);
    }

    [Fact]
    public async Task Countdown_releases_waiters_at_zero_and_stays_set()
    {
        var countdown = new AsyncCountdownEvent(3);
        var waiter = countdown.WaitAsync().AsTask();
        Assert.False(countdown.Signal());
        countdown.AddCount(2);
        Assert.False(countdown.Signal(3));
        Assert.Equal(1, countdown.CurrentCount);
        Assert.False(waiter.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => countdown.Signal(2));
        Assert.True(countdown.Signal());
        await waiter;
        Assert.True(countdown.TryWait());
        Assert.False(countdown.TryAddCount());
        Assert.Throws<InvalidOperationException>(() => countdown.AddCount());
        Assert.Equal(new AsyncCountdownEventStatistics(3, 0, 0, 0), countdown.GetStatistics());
    }

    [Fact]
    public async Task Countdown_cancelled_wait_changes_nothing()
    {
        var countdown = new AsyncCountdownEvent(1);
        using var cts = new CancellationTokenSource();
        var waiter = countdown.WaitAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal(new AsyncCountdownEventStatistics(1, 1, 0, 1), countdown.GetStatistics());
    }

    [Fact]
    public async Task Barrier_releases_a_phase_when_the_last_participant_arrives_and_starts_the_next()
    {
        var barrier = new AsyncBarrier(3);
        var a = barrier.SignalAndWaitAsync().AsTask();
        Assert.False(barrier.TrySignalAndWait()); // would not complete the phase: nothing changed
        var b = barrier.SignalAndWaitAsync().AsTask();
        Assert.Equal(2, barrier.GetStatistics().ArrivedCount);
        var c = barrier.SignalAndWaitAsync();
        Assert.True(c.IsCompletedSuccessfully);
        Assert.Equal(new long[] { 0, 0, 0 }, await Task.WhenAll(a, b, c.AsTask()));
        Assert.Equal(1, barrier.CurrentPhase);

        var d = barrier.SignalAndWaitAsync().AsTask();
        var e = barrier.SignalAndWaitAsync().AsTask();
        Assert.True(barrier.TrySignalAndWait());
        Assert.Equal(new long[] { 1, 1 }, await Task.WhenAll(d, e));
    }

    [Fact]
    public async Task Barrier_cancelled_arrival_is_withdrawn()
    {
        var barrier = new AsyncBarrier(2);
        using var cts = new CancellationTokenSource();
        var withdrawn = barrier.SignalAndWaitAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn);
        var first = barrier.SignalAndWaitAsync().AsTask();
        Assert.False(first.IsCompleted); // the phase still needs two arrivals
        await barrier.SignalAndWaitAsync();
        await first;
        Assert.Equal(new AsyncBarrierStatistics(2, 0, 1, 1), barrier.GetStatistics());
    }

    [Fact]
    public async Task Barrier_stress_all_participants_see_every_phase()
    {
        var barrier = new AsyncBarrier(4);
        const int Phases = 200;
        var seen = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var phases = new List<long>();
            for (var i = 0; i < Phases; i++)
            {
                phases.Add(await barrier.SignalAndWaitAsync());
            }

            return phases;
        })));
        Assert.All(seen, phases => Assert.Equal(Enumerable.Range(0, Phases).Select(i => (long)i), phases));
    }
}
