using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Braid.Instrumentation;
using Braid.Internal;
using Braid.Time;

namespace Braid.Loop;

/// <summary>
/// A single-threaded event loop, like Python's <c>asyncio.run</c>: <see cref="Run(Func{Task}, AsyncLoopOptions?)"/>
/// runs an async entry point to completion on the calling thread, and every continuation posted to
/// the loop runs on that thread, one step at a time, in first-in first-out order.
/// </summary>
/// <remarks>
/// <para>The loop is a <see cref="SynchronizationContext"/> pumping a FIFO queue. Awaits inside the
/// entry point resume on the loop; an await with <c>ConfigureAwait(false)</c> leaves it and completes
/// on the thread pool, which is fine: the loop keeps pumping until the entry point's task completes,
/// wherever that happens.</para>
/// <para>When the entry point's task completes the loop stops. Continuations still queued, and any
/// posted later, run on the thread pool so that nothing is lost; debug mode reports the tasks that
/// had not finished.</para>
/// <para>Loops nest: <c>Run</c> called inside a step runs a new loop on the same thread, and the
/// outer loop resumes when it returns. Runs on different threads are independent.</para>
/// </remarks>
[DebuggerDisplay("AsyncLoop {Id}, {_count} posted, {_steps} steps")]
public sealed class AsyncLoop
{
    [ThreadStatic]
    private static AsyncLoop? t_current;

    // A Lock, not a monitor: a monitor that has been waited on is inflated, and every later enter
    // takes the runtime's slow path (over half the time of a timer-heavy run). The idle wait uses
    // its own event instead.
    private readonly Lock _gate = new();
    private readonly object _idle = new();
    private bool _woken; // under _idle
    private readonly LoopSynchronizationContext _context;
    private readonly Thread _thread;
    private readonly LoopDebugger? _debugger;
    private readonly VirtualClock? _autoJumpClock;

    // The queue, in two halves that preserve FIFO order: posts append to _items under _gate; the
    // loop swaps the whole of it into _batch under one lock and runs the batch without locking.
    private WorkItem[] _items = new WorkItem[64];
    private int _count;
    private WorkItem[] _batch = new WorkItem[64];
    private int _batchIndex;
    private int _batchCount;
    private bool _waiting;
    private bool _finished;
    private bool _inStep;
    private int _offLoop;
    private List<BlockedWaiter>? _blockedWaiters;

    private long _steps;
    private long _longestStepTicks; // TimeSpan ticks
    private int _peakQueue;
    private ExceptionDispatchInfo? _stepFailure;

    private AsyncLoop(AsyncLoopOptions? options)
    {
        options ??= new AsyncLoopOptions();
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options.TimeProvider));
        Id = IdGenerator.Next();
        TimeProvider = options.TimeProvider;
        _thread = Thread.CurrentThread;
        _context = new LoopSynchronizationContext(this);
        _autoJumpClock = options.TimeProvider as VirtualClock;
        if (options.ResolveDebug())
        {
            _debugger = new LoopDebugger(this, options.SlowStepThreshold, options.DebugOutput);
        }
    }

    /// <summary>The loop running on the current thread, or <see langword="null"/> outside any loop. The innermost one when loops nest.</summary>
    public static AsyncLoop? Current => t_current;

    /// <summary>This loop's stable, process-wide unique id (the <c>SourceId</c> of its instrumentation events).</summary>
    public long Id { get; }

    /// <summary>The loop's clock (<see cref="AsyncLoopOptions.TimeProvider"/>); code on the loop should wait on it.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Whether debug mode is on for this loop.</summary>
    public bool IsDebugMode => _debugger is not null;

    internal bool IsLoopThread => Thread.CurrentThread == _thread && t_current == this;

    internal bool IsInStep => _inStep;

    /// <summary>
    /// Runs <paramref name="entryPoint"/> on a new loop on the calling thread and returns when the task
    /// it returns has completed, rethrowing its exception if it failed.
    /// </summary>
    /// <param name="entryPoint">The async code to run; it is invoked on the loop, as its first step.</param>
    /// <param name="options">The loop's options, or <see langword="null"/> for the defaults.</param>
    /// <remarks>
    /// Blocks the calling thread until the entry point completes: this is the safe way for synchronous
    /// code (a <c>Main</c>, a test, a thread-pool work item) to run async code. It has no cancellation
    /// token: cancel the entry point's work from inside it. An exception thrown by a step that is not
    /// part of a task (an <c>async void</c> method) stops the loop and is rethrown from here.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="entryPoint"/> is null.</exception>
    public static void Run(Func<Task> entryPoint, AsyncLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(entryPoint);
        var loop = new AsyncLoop(options);
        loop.RunCore(entryPoint, out var entry);
#pragma warning disable VSTHRD002 // The task has completed: this only rethrows its exception.
        entry.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>
    /// Runs <paramref name="entryPoint"/> on a new loop on the calling thread and returns its result
    /// once the task it returns has completed, rethrowing its exception if it failed.
    /// </summary>
    /// <typeparam name="T">The entry point's result type.</typeparam>
    /// <param name="entryPoint">The async code to run; it is invoked on the loop, as its first step.</param>
    /// <param name="options">The loop's options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The entry point's result.</returns>
    /// <remarks>See <see cref="Run(Func{Task}, AsyncLoopOptions?)"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="entryPoint"/> is null.</exception>
    public static T Run<T>(Func<Task<T>> entryPoint, AsyncLoopOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(entryPoint);
        var loop = new AsyncLoop(options);
        loop.RunCore(entryPoint, out var task);
        var entry = (Task<T>)task;
#pragma warning disable VSTHRD002 // The task has completed: this only returns its result or rethrows.
        return entry.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>A snapshot of the loop's counters. Safe to call from any thread; completes synchronously.</summary>
    /// <returns>Steps run, longest step, peak and current queue length, known off-loop operations.</returns>
    public AsyncLoopStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new AsyncLoopStatistics(
                _steps,
                TimeSpan.FromTicks(_longestStepTicks),
                _peakQueue,
                _count + (_batchCount - _batchIndex),
                _offLoop);
        }
    }

    /// <summary>
    /// Completes once every task on the loop is blocked: the loop has no step ready to run and no
    /// off-loop operation it knows about (like Trio's <c>wait_all_tasks_blocked</c>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; the returned task is then cancelled.</param>
    /// <returns>A task that completes, on the loop, when the loop is next idle.</returns>
    /// <remarks>
    /// Never completes synchronously. It takes priority over a <see cref="VirtualClock"/>'s autojump:
    /// when the loop becomes idle, blocked waiters are released first, and the clock jumps only when
    /// the loop is idle with no such waiter. All waiters pending at that moment are released together.
    /// Work the loop cannot see (a thread-pool task, real I/O) does not count as ready.
    /// </remarks>
    public Task WaitAllTasksBlockedAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var waiter = new BlockedWaiter(this, cancellationToken);

        // Registered before the waiter is listed, so that whoever releases it can dispose the registration
        // first: a wait that returns leaves no callback on the caller's token.
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static s => ((BlockedWaiter)s!).Cancel(), waiter);
        }

        lock (_gate)
        {
            (_blockedWaiters ??= []).Add(waiter);
            Wake();
        }

        return waiter.Task;
    }

    internal void RemoveBlockedWaiter(BlockedWaiter waiter)
    {
        lock (_gate)
        {
            _blockedWaiters?.Remove(waiter);
        }
    }

    /// <summary>Counts an operation running off the loop: while any is counted, the loop is not idle (no autojump).</summary>
    internal void BeginOffLoopOperation()
    {
        lock (_gate)
        {
            _offLoop++;
        }
    }

    /// <summary>Ends an operation counted by <see cref="BeginOffLoopOperation"/>; call it after posting its completion.</summary>
    internal void EndOffLoopOperation()
    {
        lock (_gate)
        {
            _offLoop--;
            Wake();
        }
    }

    /// <summary>Queues a step; false when the loop has ended. Safe from any thread; never runs the callback inline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool TryPost(SendOrPostCallback callback, object? state)
    {
        lock (_gate)
        {
            if (_finished)
            {
                return false;
            }

            if (_count == _items.Length)
            {
                Grow();
            }

            _items[_count++] = new WorkItem(callback, state);
            var queued = _count + (_batchCount - _batchIndex);
            if (queued > _peakQueue)
            {
                _peakQueue = queued;
            }

            Wake();
        }

        return true;
    }

    private void RunCore(Func<Task> entryPoint, out Task entry)
    {
        var previousContext = SynchronizationContext.Current;
        var previousLoop = t_current;
        SynchronizationContext.SetSynchronizationContext(_context);
        t_current = this;
        _debugger?.Start();
        if (BraidInstrumentation.IsEnabled)
        {
            TaskRegistry.LoopStarted(this); // the task tree shows live loops (docs/design.md rule 125)
        }

        Task? started = null;
        try
        {
            _inStep = true;
            try
            {
                started = entryPoint() ?? throw new InvalidOperationException("The loop's entry point returned a null task.");
            }
            finally
            {
                _inStep = false;
            }

            Pump(started);
        }
        finally
        {
            List<WorkItem>? leftovers;
            lock (_gate)
            {
                _finished = true;
                leftovers = Drain();
            }

            t_current = previousLoop;
            SynchronizationContext.SetSynchronizationContext(previousContext);
            if (BraidInstrumentation.IsEnabled)
            {
                TaskRegistry.LoopFinished(this);
            }

            _debugger?.Finish(started, leftovers);
            if (leftovers is not null)
            {
                foreach (var item in leftovers)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static i => i.Callback(i.State), item, preferLocal: false);
                }
            }
        }

        _stepFailure?.Throw();
        entry = started;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pump(Task entry)
    {
        var wakeRegistered = false;
        while (!entry.IsCompleted)
        {
            if (TryDequeue(out var item))
            {
                RunStep(item);
                if (_stepFailure is not null)
                {
                    return;
                }

                continue;
            }

            if (!wakeRegistered)
            {
                // The entry point may finish off the loop (its last await had ConfigureAwait(false)):
                // wake the loop when it does, so that Run returns.
                wakeRegistered = true;
                entry.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(WakeFromOutside);
                continue;
            }

            if (TryReleaseBlockedWaiters() || TryAutoJump())
            {
                continue;
            }

            lock (_gate)
            {
                if (_count != 0 || entry.IsCompleted || IsIdleWithWork())
                {
                    continue;
                }

                // Wake clears _waiting when it sets the event, so the event is set at most once a wait.
                _waiting = true;
            }

            lock (_idle)
            {
                while (!_woken)
                {
                    Monitor.Wait(_idle);
                }

                _woken = false;
            }
        }
    }

    // The pump's methods run hot from the first step and for the loop's whole life: they are
    // compiled fully optimized at once rather than through tier 0 and on-stack replacement.

    // Outside debug mode a step is timed with the coarse millisecond clock (a few ns to read, where a
    // precise timestamp costs over 100 ns on a virtual machine): LongestStep is then exact to the
    // millisecond, which is what matters for a step that holds the loop too long.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunStep(in WorkItem item)
    {
        var debug = _debugger is not null;
        var step = debug ? LoopDebugger.Resolve(item) : null;
        var start = debug ? Stopwatch.GetTimestamp() : Environment.TickCount64;
        _inStep = true;
        try
        {
            item.Callback(item.State);
        }
#pragma warning disable CA1031 // A step's exception stops the loop and is rethrown from Run.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _stepFailure = ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            _inStep = false;
        }

        long elapsedTicks;
        if (debug)
        {
            var elapsed = Stopwatch.GetTimestamp() - start;
            _debugger!.OnStep(step, elapsed);
            elapsedTicks = Stopwatch.GetElapsedTime(0, elapsed).Ticks;
        }
        else
        {
            elapsedTicks = (Environment.TickCount64 - start) * TimeSpan.TicksPerMillisecond;
        }

        _steps++;
        if (elapsedTicks > _longestStepTicks)
        {
            _longestStepTicks = elapsedTicks;
        }
    }

    // Under _gate: whether the loop, though its queue is empty, has something it can do itself.
    private bool IsIdleWithWork()
    {
        if (_offLoop != 0)
        {
            return false;
        }

        return _blockedWaiters is { Count: > 0 } || (_autoJumpClock is { AutoJump: true } clock && clock.HasPendingTimers);
    }

    private bool TryReleaseBlockedWaiters()
    {
        List<BlockedWaiter>? released;
        lock (_gate)
        {
            if (_count != 0 || _offLoop != 0 || _blockedWaiters is not { Count: > 0 })
            {
                return false;
            }

            released = _blockedWaiters;
            _blockedWaiters = null;
        }

        foreach (var waiter in released)
        {
            // The waiters' tasks continue asynchronously: each continuation is posted as a step.
            waiter.Registration.Dispose();
            waiter.TrySetResult();
        }

        return true;
    }

    private bool TryAutoJump()
    {
        if (_autoJumpClock is not { AutoJump: true } clock)
        {
            return false;
        }

        lock (_gate)
        {
            if (_count != 0 || _offLoop != 0)
            {
                return false;
            }
        }

        // Timer callbacks run with no context so that the continuations they release are posted to
        // the loop, as steps in timer order, instead of running inline inside the jump.
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return clock.TryJumpToNextTimer();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(_context);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryDequeue(out WorkItem item)
    {
        if (_batchIndex == _batchCount)
        {
            lock (_gate)
            {
                if (_count == 0)
                {
                    item = default;
                    return false;
                }

                // The batch is empty (every slot cleared as it ran): it becomes the posting half.
                (_items, _batch) = (_batch, _items);
                _batchCount = _count;
                _batchIndex = 0;
                _count = 0;
            }
        }

        item = _batch[_batchIndex];
        _batch[_batchIndex++] = default;
        return true;
    }

    // Under _gate.
    private void Wake()
    {
        if (_waiting)
        {
            _waiting = false;
            lock (_idle)
            {
                _woken = true;
                Monitor.Pulse(_idle);
            }
        }
    }

    private void WakeFromOutside()
    {
        lock (_gate)
        {
            Wake();
        }
    }

    // Under _gate.
    private void Grow()
    {
        var bigger = new WorkItem[_items.Length * 2];
        Array.Copy(_items, bigger, _count);
        _items = bigger;
    }

    // Under _gate, after the pump has stopped: what is left in the batch, then what was posted.
    private List<WorkItem>? Drain()
    {
        var left = _count + (_batchCount - _batchIndex);
        if (left == 0)
        {
            return null;
        }

        var list = new List<WorkItem>(left);
        for (; _batchIndex < _batchCount; _batchIndex++)
        {
            list.Add(_batch[_batchIndex]);
            _batch[_batchIndex] = default;
        }

        for (var i = 0; i < _count; i++)
        {
            list.Add(_items[i]);
            _items[i] = default;
        }

        _count = 0;
        return list;
    }

    internal void ReportBlockingWait(int taskId) => _debugger?.ReportBlockingWait(taskId);

    internal void RaiseReport(BraidEventKind kind, string? name, TimeSpan duration, string message, Exception? exception)
        => BraidInstrumentation.Raise(new BraidEvent(kind, Id, name, duration, message, exception));
}

/// <summary>A caller of <see cref="AsyncLoop.WaitAllTasksBlockedAsync"/>, with the registration on its token.</summary>
internal sealed class BlockedWaiter(AsyncLoop loop, CancellationToken cancellationToken)
    : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
{
    /// <summary>Set before the waiter is listed; disposed by whoever releases it.</summary>
    public CancellationTokenRegistration Registration;

    public void Cancel()
    {
        loop.RemoveBlockedWaiter(this);
        TrySetCanceled(cancellationToken);
    }
}

/// <summary>One posted step: a callback and its state.</summary>
internal readonly record struct WorkItem(SendOrPostCallback Callback, object? State);
