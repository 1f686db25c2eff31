using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

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

    private readonly Lock _gate = new();
    private readonly DateTimeOffset _start;
    private readonly TimerQueue _timers = new();
    private long _now;
    private long _nextSequence;

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
                return _timers.Count;
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
                return _timers.Count > 0;
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

    /// <summary>
    /// Waits <paramref name="delay"/> of virtual time: the clock's own, allocation-light form of
    /// <c>Task.Delay(delay, clock)</c>, exact to the tick (<c>Task.Delay</c> truncates to whole
    /// milliseconds, so it treats a 1 µs delay as no delay at all).
    /// </summary>
    /// <param name="delay">How long to wait; zero or negative completes at once.</param>
    /// <param name="cancellationToken">Cancels the wait: the value task then throws <see cref="OperationCanceledException"/> and the timer is removed.</param>
    /// <returns>A value task to await once. It completes synchronously only when <paramref name="delay"/> is not positive or the token is already cancelled.</returns>
    /// <remarks>
    /// The continuation runs on the awaiting code's context: on an <see cref="Braid.Loop.AsyncLoop"/> it is posted as a
    /// step, in timer order. Waits due at the same instant complete in the order they were started,
    /// together with timers created by <see cref="CreateTimer"/>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask DelayAsync(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (delay <= TimeSpan.Zero)
        {
            return ValueTask.CompletedTask;
        }

        var node = new DelayNode();
        var cancellation = node.PrepareCancellation(this, cancellationToken);
        var sequence = Interlocked.Increment(ref _nextSequence);
        lock (_gate)
        {
            node.Arm(this, _now + delay.Ticks, sequence);
        }

        // Registered once armed, so that a cancellation arriving now finds the timer to take back.
        cancellation?.Register();
        return new ValueTask(node, 0);
    }

    /// <summary>Jumps to the earliest pending timer and fires everything due then; false when no timer is armed.</summary>
    internal bool TryJumpToNextTimer()
    {
        long due;
        lock (_gate)
        {
            if (!_timers.TryPeek(out _, out due))
            {
                return false;
            }
        }

        AdvanceTo(Math.Max(due, Volatile.Read(ref _now)));
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AdvanceTo(long target)
    {
        while (true)
        {
            TimerEntry timer;
            lock (_gate)
            {
                if (!_timers.TryPeek(out var earliest, out var due) || due > target)
                {
                    if (target > _now)
                    {
                        Volatile.Write(ref _now, target);
                    }

                    return;
                }

                timer = (TimerEntry)earliest!;
                _timers.Remove(timer);
                if (due > _now)
                {
                    Volatile.Write(ref _now, due);
                }

                timer.OnFiringLocked(this, due);
            }

            timer.Invoke();
        }
    }

    /// <summary>A timer of this clock: queued (armed) at most once at a time.</summary>
    private abstract class TimerEntry : TimerQueue.Entry
    {
        // Under the clock's gate: the entry was taken off the queue to fire at `due`.
        public virtual void OnFiringLocked(VirtualClock clock, long due)
        {
        }

        // Outside the gate, on the thread advancing the clock.
        public abstract void Invoke();

        // Under the clock's gate.
        public void Arm(VirtualClock clock, long due, long sequence) => clock._timers.Add(this, due, sequence);

        // Under the clock's gate; false when it was not armed.
        public bool Disarm(VirtualClock clock)
        {
            if (!IsQueued)
            {
                return false;
            }

            clock._timers.Remove(this);
            return true;
        }
    }

    private sealed class VirtualTimer(VirtualClock clock, TimerCallback callback, object? state, long sequence) : TimerEntry, ITimer
    {
        private long _period;
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

                Disarm(clock);
                _period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    Arm(clock, clock._now + dueTime.Ticks, sequence);
                }

                return true;
            }
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                Disarm(clock);
                _disposed = true;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        public override void OnFiringLocked(VirtualClock clock, long due)
        {
            if (_period > 0)
            {
                Arm(clock, due + _period, sequence);
            }
        }

        public override void Invoke() => callback(state);

        private static void ValidateSpan(TimeSpan value, string name)
        {
            if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be non-negative or Timeout.InfiniteTimeSpan.");
            }
        }
    }

    /// <summary>
    /// One <see cref="DelayAsync"/>: the timer entry and the awaited value-task source in one small
    /// object (80 bytes, no queue slot besides), awaited once. A continuation that captured a synchronization context is
    /// posted to it with the node itself as state, so firing allocates nothing.
    /// </summary>
    private sealed class DelayNode : TimerEntry, IValueTaskSource
    {
        private static readonly object Completed = new();
        private static readonly SendOrPostCallback PostedContinuation = static s => ((DelayNode)s!).RunContinuation();

        private Action<object?>? _continuation;
        private object? _continuationState;

        // null, the SynchronizationContext or TaskScheduler to resume on, or an ExecutionContext pair.
        private object? _context;

        // null while pending; Completed, or the OperationCanceledException; or, while pending and
        // cancellable, the Cancellation that can take it back.
        private object? _outcome;

        public Cancellation? PrepareCancellation(VirtualClock clock, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled)
            {
                return null;
            }

            var cancellation = new Cancellation(this, clock, cancellationToken);
            _outcome = cancellation;
            return cancellation;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Invoke()
        {
            if (_outcome is Cancellation cancellation)
            {
                cancellation.Registration.Dispose();
            }

            Complete(Completed);
        }

        public void GetResult(short token)
        {
            if (_outcome is OperationCanceledException canceled)
            {
                throw canceled;
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _outcome switch
        {
            null or Cancellation => ValueTaskSourceStatus.Pending,
            OperationCanceledException => ValueTaskSourceStatus.Canceled,
            _ => ValueTaskSourceStatus.Succeeded,
        };

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            object? context = null;
            if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0)
            {
                if (SynchronizationContext.Current is { } sc && sc.GetType() != typeof(SynchronizationContext))
                {
                    context = sc;
                }
                else if (TaskScheduler.Current != TaskScheduler.Default)
                {
                    context = TaskScheduler.Current;
                }
            }

            if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0 && ExecutionContext.Capture() is { } ec)
            {
                context = new FlowingContext(ec, context);
            }

            _continuationState = state;
            _context = context;

            // Publish the continuation; if the outcome raced in first, run it now.
            if (Interlocked.CompareExchange(ref _continuation, continuation, null) is not null)
            {
                Dispatch();
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Complete(object outcome)
        {
            _outcome = outcome;
            var previous = Interlocked.CompareExchange(ref _continuation, CompletedSentinel, null);
            if (previous is not null)
            {
                Dispatch();
            }
        }

        private static readonly Action<object?> CompletedSentinel = static _ => { };

        // Both the continuation and the outcome are in: run it where it asked to run.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Dispatch()
        {
            switch (_context)
            {
                case null:
                    RunContinuation();
                    break;
                case SynchronizationContext sc:
#pragma warning disable VSTHRD001 // Resuming on the awaiter's captured context is the contract of an IValueTaskSource.
                    sc.Post(PostedContinuation, this);
#pragma warning restore VSTHRD001
                    break;
                case TaskScheduler scheduler:
                    _ = Task.Factory.StartNew(static s => ((DelayNode)s!).RunContinuation(), this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                    break;
                case FlowingContext flowing:
                    ExecutionContext.Run(flowing.ExecutionContext, static s => ((DelayNode)s!).DispatchInner(), this);
                    break;
            }
        }

        private void DispatchInner()
        {
            _context = ((FlowingContext)_context!).Inner;
            Dispatch();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunContinuation()
        {
            var continuation = _continuation;
            if (ReferenceEquals(continuation, CompletedSentinel))
            {
                return;
            }

            continuation!(_continuationState);
        }

        private sealed record FlowingContext(ExecutionContext ExecutionContext, object? Inner);

        public sealed class Cancellation(DelayNode node, VirtualClock clock, CancellationToken token)
        {
            public CancellationTokenRegistration Registration { get; private set; }

            public void Register() => Registration = token.UnsafeRegister(static s => ((Cancellation)s!).Cancel(), this);

            public void Cancel()
            {
                lock (clock._gate)
                {
                    if (!node.Disarm(clock))
                    {
                        return; // already fired
                    }
                }

                node.Complete(new OperationCanceledException(token));
            }
        }
    }
}
