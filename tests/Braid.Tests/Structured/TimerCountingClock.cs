namespace Braid.Tests.Structured;

/// <summary>
/// A <see cref="TimeProvider"/> over another that counts the timers created through it and not yet
/// disposed, armed or not. <c>VirtualClock.ActiveTimerCount</c> counts only armed timers, so a fired
/// one-shot timer nobody disposed would not show there; this does.
/// </summary>
internal sealed class TimerCountingClock(TimeProvider inner) : TimeProvider
{
    private int _live;

    /// <summary>Timers created and not yet disposed.</summary>
    public int LiveTimers => Volatile.Read(ref _live);

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = inner.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _live);
        return new CountedTimer(this, timer);
    }

    private sealed class CountedTimer(TimerCountingClock owner, ITimer timer) : ITimer
    {
        private int _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period) => timer.Change(dueTime, period);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._live);
            }

            timer.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
