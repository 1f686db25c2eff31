namespace Braid.Diagnostics.Tests;

/// <summary>
/// A clock the test sets, whose timers fire only when the test says so. A <c>VirtualClock</c> fires
/// the heartbeat's timer at its due time in the middle of an advance, and the heartbeat then reads the
/// clock on a pool thread while the advance goes on, so what it reads would be a race.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private long _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Volatile.Read(ref _now);

    public void Set(TimeSpan sinceStart) => Volatile.Write(ref _now, sinceStart.Ticks);

    /// <summary>Runs the callback of every armed timer once, on this thread.</summary>
    public void FireArmedTimers()
    {
        List<ManualTimer> armed;
        lock (_timers)
        {
            armed = [.. _timers.Where(t => t.Armed)];
        }

        armed.ForEach(t => t.Fire());
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state, dueTime != Timeout.InfiniteTimeSpan);
        lock (_timers)
        {
            _timers.Add(timer);
        }

        return timer;
    }

    private sealed class ManualTimer(TimerCallback callback, object? state, bool armed) : ITimer
    {
        public bool Armed { get; private set; } = armed;

        public void Fire()
        {
            Armed = false;
            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Armed = dueTime != Timeout.InfiniteTimeSpan;
            return true;
        }

        public void Dispose() => Armed = false;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
