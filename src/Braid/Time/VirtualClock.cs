using System.Diagnostics;

namespace Braid.Time;

/// <summary>
/// A <see cref="TimeProvider"/> whose time moves only when told to: by <see cref="Advance"/>, or, in
/// <see cref="AutoJump"/> mode, by the <see cref="Braid.Loop.AsyncLoop"/> it is given to, which jumps
/// it to the next pending timer whenever the loop has nothing ready to run. A test of code that waits
/// 30 virtual seconds finishes in milliseconds, and always the same way.
/// </summary>
/// <remarks>
/// <para>Timers created by <see cref="CreateTimer"/> (and so <c>Task.Delay(delay, clock)</c>,
/// <c>new CancellationTokenSource(delay, clock)</c>, <c>PeriodicTimer</c>) fire on the thread that
/// advances the clock, synchronously inside <see cref="Advance"/>. Timers due at the same instant
/// fire in the order they were created; while a callback runs, <see cref="GetUtcNow"/> reads the
/// timer's due time.</para>
/// <para>Thread-safe. The clock starts at 2000-01-01T00:00:00Z unless given another start; its
/// timestamps count ticks of 100 ns from zero.</para>
/// </remarks>
[DebuggerDisplay("VirtualClock {GetUtcNow()}, {ActiveTimerCount} timers")]
public sealed class VirtualClock : TimeProvider
{
    private static readonly DateTimeOffset DefaultStart = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly object _gate = new();
    private readonly DateTimeOffset _start;
    private readonly PriorityQueue<(VirtualTimer Timer, long Version), (long Due, long Sequence)> _timers = new();
    private long _now;
    private long _nextSequence;
    private int _active;

    /// <summary>Creates a clock that reads 2000-01-01T00:00:00Z until advanced.</summary>
    public VirtualClock()
        : this(DefaultStart)
    {
    }

    /// <summary>Creates a clock that reads <paramref name="start"/> until advanced.</summary>
    /// <param name="start">The clock's initial time.</param>
    public VirtualClock(DateTimeOffset start) => _start = start;

    /// <summary>
    /// Whether a loop that runs on this clock jumps it to the next timer whenever the loop is idle
    /// (no step ready, no off-loop operation it knows about). Off by default; <see cref="Advance"/>
    /// works in both modes.
    /// </summary>
    public bool AutoJump { get; set; }

    /// <summary>How much virtual time has passed since the clock was created.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Volatile.Read(ref _now));

    /// <summary>How many timers are armed (created, not disposed, with a finite due time).</summary>
    public int ActiveTimerCount
    {
        get
        {
            lock (_gate)
            {
                return _active;
            }
        }
    }

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    internal bool HasPendingTimers
    {
        get
        {
            lock (_gate)
            {
                return _active > 0;
            }
        }
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _start + Elapsed;

    /// <inheritdoc />
    public override long GetTimestamp() => Volatile.Read(ref _now);

    /// <summary>Creates a timer on virtual time. See <see cref="TimeProvider.CreateTimer"/>.</summary>
    /// <param name="callback">Called, on the thread advancing the clock, each time the timer fires.</param>
    /// <param name="state">Passed to <paramref name="callback"/>.</param>
    /// <param name="dueTime">Delay before the first firing; <see cref="Timeout.InfiniteTimeSpan"/> for never.</param>
    /// <param name="period">Interval between firings; zero or <see cref="Timeout.InfiniteTimeSpan"/> for one firing only.</param>
    /// <returns>The timer; dispose it to stop it.</returns>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new VirtualTimer(this, callback, state, Interlocked.Increment(ref _nextSequence));
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>
    /// Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due on the
    /// way, in due-time order (creation order among equals), each with the clock reading its due time.
    /// </summary>
    /// <param name="delta">How far to move; zero fires the timers already due.</param>
    /// <remarks>Completes synchronously; the callbacks run on the calling thread before it returns.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is negative.</exception>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long target;
        lock (_gate)
        {
            target = _now + delta.Ticks;
        }

        AdvanceTo(target);
    }

    /// <summary>Jumps to the earliest pending timer and fires everything due then; false when no timer is armed.</summary>
    internal bool TryJumpToNextTimer()
    {
        long due;
        lock (_gate)
        {
            if (!TryPeekLive(out due))
            {
                return false;
            }
        }

        AdvanceTo(Math.Max(due, Volatile.Read(ref _now)));
        return true;
    }

    private void AdvanceTo(long target)
    {
        while (true)
        {
            VirtualTimer timer;
            lock (_gate)
            {
                if (!TryPeekLive(out var due) || due > target)
                {
                    if (target > _now)
                    {
                        Volatile.Write(ref _now, target);
                    }

                    return;
                }

                timer = _timers.Dequeue().Timer;
                if (due > _now)
                {
                    Volatile.Write(ref _now, due);
                }

                timer.OnFiringLocked(due);
            }

            timer.Invoke();
        }
    }

    // Under _gate: drops stale entries (changed or disposed timers) and peeks the earliest live one.
    private bool TryPeekLive(out long due)
    {
        while (_timers.TryPeek(out var entry, out var priority))
        {
            if (entry.Timer.IsCurrentLocked(entry.Version))
            {
                due = priority.Due;
                return true;
            }

            _timers.Dequeue();
        }

        due = 0;
        return false;
    }

    private sealed class VirtualTimer(VirtualClock clock, TimerCallback callback, object? state, long sequence) : ITimer
    {
        private long _version;
        private long _period;
        private bool _armed;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ValidateSpan(dueTime, nameof(dueTime));
            ValidateSpan(period, nameof(period));
            lock (clock._gate)
            {
                if (_disposed)
                {
                    return false;
                }

                Disarm();
                _period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    Arm(clock._now + dueTime.Ticks);
                }

                return true;
            }
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                Disarm();
                _disposed = true;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        // Under the clock's gate.
        public bool IsCurrentLocked(long version) => _armed && version == _version;

        // Under the clock's gate: the timer was dequeued to fire at `due`; re-arm it if periodic.
        public void OnFiringLocked(long due)
        {
            Disarm();
            if (_period > 0)
            {
                Arm(due + _period);
            }
        }

        public void Invoke() => callback(state);

        private void Arm(long due)
        {
            _version++;
            _armed = true;
            clock._active++;
            clock._timers.Enqueue((this, _version), (due, sequence));
        }

        private void Disarm()
        {
            if (_armed)
            {
                _armed = false;
                _version++;
                clock._active--;
            }
        }

        private static void ValidateSpan(TimeSpan value, string name)
        {
            if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be non-negative or Timeout.InfiniteTimeSpan.");
            }
        }
    }
}
