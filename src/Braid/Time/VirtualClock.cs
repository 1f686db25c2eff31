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

    // Held by the thread advancing the clock for the whole advance, timer callbacks included (they run
    // outside _gate, which they may need). Taken before _gate, never while holding it. It serialises
    // advances: two threads that each advance 1 s move the clock 2 s, and timers never fire on two
    // threads at once. It is reentrant, so a timer callback can advance the clock too.
    private readonly Lock _advancing = new();
    private readonly DateTimeOffset _start;
    private readonly TimerQueue _timers = new();
    private long _now;

    // Under _gate: where the advance in progress is headed (at most _now when none is). An advance
    // started during another, from a timer callback, goes on from there, so the two compose.
    private long _target;
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
    /// <remarks>
    /// <para>Completes synchronously; the callbacks run on the calling thread before it returns.</para>
    /// <para>Advances are serialised and compose: an <see cref="Advance"/> on another thread waits for
    /// the one in progress (its callbacks included) and then moves on from where it ended, so two
    /// threads that each advance 1 s move the clock 2 s. One called from a timer callback moves the
    /// clock <paramref name="delta"/> beyond where the advance in progress is headed.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is negative.</exception>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        lock (_advancing)
        {
            long target;
            lock (_gate)
            {
                target = Math.Max(_target, _now) + delta.Ticks;
                _target = target;
            }

            AdvanceTo(target);
        }
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
        var sequence = Interlocked.Increment(ref _nextSequence);

        // Registered before the timer is armed: a timer that fires at once (another thread advancing)
        // then always finds the registration to take back, and none is left on a long-lived token. A
        // cancellation that comes first (even inline, here) keeps the timer from being armed at all.
        var cancellation = node.RegisterCancellation(this, cancellationToken);
        lock (_gate)
        {
            if (cancellation is null || cancellation.TryArmLocked())
            {
                node.Arm(this, _now + delay.Ticks, sequence);
            }
        }

        return new ValueTask(node, DelayNode.Token);
    }

    /// <summary>Jumps to the earliest pending timer and fires everything due then; false when no timer is armed.</summary>
    internal bool TryJumpToNextTimer()
    {
        lock (_advancing)
        {
            long target;
            lock (_gate)
            {
                if (!_timers.TryPeek(out _, out var due))
                {
                    return false;
                }

                target = Math.Max(due, _now);
                _target = Math.Max(_target, target);
            }

            AdvanceTo(target);
            return true;
        }
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
    /// <remarks>
    /// The outcome and the continuation meet through one compare-and-swap on <c>_continuation</c>, as in
    /// the runtime's <c>ManualResetValueTaskSourceCore</c>: whichever of <see cref="Complete"/> and
    /// <see cref="OnCompleted"/> comes second runs (or schedules) the continuation, so a timer that
    /// fires between the awaiter's <c>IsCompleted</c> and <c>OnCompleted</c> cannot lose it. That core
    /// is not used itself because it would cost this node 40 more bytes and every post to a loop a
    /// tuple. The node is never reused, so one token suffices; being awaited once is enforced by the
    /// outcome, which <see cref="GetResult"/> replaces with <c>Consumed</c>.
    /// </remarks>
    private sealed class DelayNode : TimerEntry, IValueTaskSource, IThreadPoolWorkItem
    {
        /// <summary>The token of every node's value task: a node backs one value task only.</summary>
        public const short Token = 1;

        private static readonly object Succeeded = new();
        private static readonly object Consumed = new();
        private static readonly Action<object?> CompletedSentinel = static _ => { };
        private static readonly SendOrPostCallback PostedContinuation = static s => ((DelayNode)s!).RunContinuation();

        // null; CompletedSentinel once completed with no continuation yet; or the awaiter's continuation.
        private Action<object?>? _continuation;
        private object? _continuationState;

        // null, the SynchronizationContext or TaskScheduler to resume on, or an ExecutionContext pair.
        private object? _context;

        // null while pending; while pending and cancellable, the Cancellation that can take it back;
        // then Succeeded or the OperationCanceledException; Consumed once the awaiter has read it.
        private object? _outcome;

        /// <summary>Registers the cancellation, before the timer is armed; null when the token cannot be cancelled.</summary>
        public Cancellation? RegisterCancellation(VirtualClock clock, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled)
            {
                return null;
            }

            var cancellation = new Cancellation(this, clock);
            _outcome = cancellation;

            // Runs the callback inline when the token was cancelled since the caller checked it.
            cancellation.Registration = cancellationToken.UnsafeRegister(static (s, token) => ((Cancellation)s!).Cancel(token), cancellation);
            return cancellation;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Invoke()
        {
            // The timer fired, so no cancellation completed the node: _outcome is still pending. The
            // registration was made before the timer was armed (see DelayAsync): take it back.
            if (_outcome is Cancellation cancellation)
            {
                cancellation.Registration.Unregister();
            }

            Complete(Succeeded);
        }

        public ValueTaskSourceStatus GetStatus(short token)
        {
            ValidateToken(token);
            var outcome = _outcome;
            if (outcome is null or Cancellation)
            {
                return ValueTaskSourceStatus.Pending;
            }

            if (ReferenceEquals(outcome, Consumed))
            {
                throw AlreadyConsumed();
            }

            return outcome is OperationCanceledException ? ValueTaskSourceStatus.Canceled : ValueTaskSourceStatus.Succeeded;
        }

        public void GetResult(short token)
        {
            ValidateToken(token);
            var outcome = _outcome;
            if (outcome is null or Cancellation)
            {
                throw new InvalidOperationException("The delay has not completed: await it instead of reading its result.");
            }

            if (ReferenceEquals(outcome, Consumed))
            {
                throw AlreadyConsumed();
            }

            _outcome = Consumed;
            if (outcome is OperationCanceledException canceled)
            {
                throw canceled;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            ArgumentNullException.ThrowIfNull(continuation);
            ValidateToken(token);
            if (ReferenceEquals(_outcome, Consumed) || _continuation is { } registered && !ReferenceEquals(registered, CompletedSentinel))
            {
                throw AlreadyConsumed();
            }

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

            // Publish the continuation; Complete then runs it.
            var previous = Interlocked.CompareExchange(ref _continuation, continuation, null);
            if (previous is null)
            {
                return;
            }

            if (!ReferenceEquals(previous, CompletedSentinel))
            {
                throw AlreadyConsumed();
            }

            // The outcome raced in between the awaiter's IsCompleted and this call: run the continuation
            // supplied here. Never inline on the awaiter's stack (the runtime's rule too): a context
            // posts or schedules it; without one, the thread pool runs it.
            _continuation = continuation;
            if (context is SynchronizationContext or TaskScheduler)
            {
                Dispatch();
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
            }
        }

        // The thread pool's entry, for a continuation that came after the outcome.
        void IThreadPoolWorkItem.Execute() => Dispatch();

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Complete(object outcome)
        {
            _outcome = outcome;
            if (Interlocked.CompareExchange(ref _continuation, CompletedSentinel, null) is not null)
            {
                Dispatch();
            }
        }

        private static void ValidateToken(short token)
        {
            if (token != Token)
            {
                throw new InvalidOperationException("This value task does not belong to this delay.");
            }
        }

        private static InvalidOperationException AlreadyConsumed()
            => new("A VirtualClock.DelayAsync value task can be awaited once only; it has been awaited already.");

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
        private void RunContinuation() => _continuation!(_continuationState);

        private sealed record FlowingContext(ExecutionContext ExecutionContext, object? Inner);

        /// <summary>A cancellable delay's registration, and whether its timer was armed.</summary>
        public sealed class Cancellation(DelayNode node, VirtualClock clock)
        {
            // Under the clock's gate: the timer was armed, or the cancellation came before it was.
            private bool _settled;

            public CancellationTokenRegistration Registration { get; set; }

            // Under the clock's gate, in DelayAsync: false when the cancellation came first.
            public bool TryArmLocked()
            {
                if (_settled)
                {
                    return false;
                }

                _settled = true;
                return true;
            }

            public void Cancel(CancellationToken token)
            {
                lock (clock._gate)
                {
                    if (!node.Disarm(clock))
                    {
                        if (_settled)
                        {
                            return; // already fired
                        }

                        _settled = true; // before the timer was armed: it never will be
                    }
                }

                node.Complete(new OperationCanceledException(token));
            }
        }
    }
}
