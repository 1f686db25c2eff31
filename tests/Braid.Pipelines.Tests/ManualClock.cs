namespace Braid.Pipelines.Tests;

/// <summary>
/// A fake <see cref="TimeProvider"/> for tests: time moves only when <see cref="Advance"/> is called,
/// and a test can wait until code under test has created a timer (the sign that it is waiting on time).
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<FakeTimer> _active = [];
    private readonly List<(int Count, TaskCompletionSource Waiter)> _waiters = [];
    private readonly List<TaskCompletionSource> _armedWaiters = [];
    private long _now;
    private int _created;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _now);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    /// <summary>How many timers have been scheduled (created or re-armed) so far.</summary>
    public int TimersScheduled
    {
        get
        {
            lock (_gate)
            {
                return _created;
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Completes once at least <paramref name="count"/> timers have been scheduled in all.</summary>
    public Task WaitForTimersScheduledAsync(int count)
    {
        lock (_gate)
        {
            if (_created >= count)
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, waiter));
            return waiter.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// Completes as soon as at least one timer is armed (at once when one already is): unlike a wait for
    /// a number of timers, it asks only whether someone is waiting on time now.
    /// </summary>
    public Task WaitForArmedTimerAsync()
    {
        lock (_gate)
        {
            if (_active.Count > 0)
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _armedWaiters.Add(waiter);
            return waiter.Task;
        }
    }

    /// <summary>Moves time forward, firing every timer that falls due, in due order.</summary>
    public void Advance(TimeSpan delta)
    {
        long target;
        lock (_gate)
        {
            target = _now + delta.Ticks;
        }

        AdvanceTo(target);
    }

    /// <summary>Moves time to the earliest armed timer and fires every timer due then; false when none is armed.</summary>
    public bool AdvanceToNextTimer()
    {
        long target;
        lock (_gate)
        {
            if (_active.Count == 0)
            {
                return false;
            }

            target = Math.Max(_now, _active.Min(t => t.Due));
        }

        AdvanceTo(target);
        return true;
    }

    private void AdvanceTo(long target)
    {
        while (true)
        {
            FakeTimer? next;
            lock (_gate)
            {
                next = _active.Where(t => t.Due <= target).MinBy(t => t.Due);
                if (next is null)
                {
                    Interlocked.Exchange(ref _now, target);
                    return;
                }

                Interlocked.Exchange(ref _now, Math.Max(_now, next.Due));
                _active.Remove(next);
                if (next.Period > 0)
                {
                    next.Due += next.Period;
                    _active.Add(next);
                }
            }

            next.Fire();
        }
    }

    private void Schedule(FakeTimer timer, long due, long period)
    {
        List<TaskCompletionSource> ready = [];
        lock (_gate)
        {
            _active.Remove(timer);
            if (due < 0)
            {
                return;
            }

            timer.Due = _now + due;
            timer.Period = period;
            _active.Add(timer);
            _created++;
            ready.AddRange(_armedWaiters);
            _armedWaiters.Clear();
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= _created)
                {
                    ready.Add(_waiters[i].Waiter);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var waiter in ready)
        {
            waiter.TrySetResult();
        }
    }

    private void Cancel(FakeTimer timer)
    {
        lock (_gate)
        {
            _active.Remove(timer);
        }
    }

    private sealed class FakeTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public long Due { get; set; }

        public long Period { get; set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock.Schedule(
                this,
                dueTime == Timeout.InfiniteTimeSpan ? -1 : dueTime.Ticks,
                period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks);
            return true;
        }

        public void Dispose() => clock.Cancel(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
