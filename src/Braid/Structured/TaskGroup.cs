using System.Diagnostics;
using System.Runtime.CompilerServices;
using Braid.Instrumentation;
using Braid.Internal;
using Braid.Loop;

namespace Braid.Structured;

/// <summary>
/// A nursery: runs a body and the children it starts, and completes only when every one of them has
/// finished. The first failure cancels the group's token (unless <see cref="TaskGroupOptions.Supervisor"/>);
/// every failure is kept, in order, and thrown together in one <see cref="TaskGroupException"/>.
/// </summary>
/// <remarks>
/// <para>
/// Children run in the caller's context: <see cref="Start(Func{CancellationToken, Task}, string?)"/>
/// invokes the child at once, on the calling thread, until its first incomplete await, exactly as
/// calling an async method does. On a single-threaded <see cref="SynchronizationContext"/> the
/// children therefore stay on it. Nothing is sent to the thread pool. But a child belongs to its
/// group, not to its caller: it runs in the group's ambient chain (design rule 13), so scopes and
/// groups nested inside it are cancelled with the group and inherit the group's clock and deadline,
/// whoever started it and from wherever.
/// </para>
/// <para>
/// Cancellation: the group's <see cref="CancellationToken"/> is cancelled by <see cref="Cancel"/>, by
/// the first failure, by the caller's token and by any enclosing <see cref="CancelScope"/> or group.
/// A child that ends in <see cref="OperationCanceledException"/> while the group's token is cancelled
/// counts as cancelled, not failed. Cancellation the group caused itself is absorbed; cancellation
/// from outside makes the group throw <see cref="OperationCanceledException"/>, but only after every
/// child has finished.
/// </para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class TaskGroup : IAmbientScope
{
    private const string BodyName = "body";

    private readonly CancellationTokenSource _cts;
    private readonly CancellationToken _token;
    private readonly CancellationToken _outerToken;
    private readonly IAmbientScope? _parent;
    private readonly TimeProvider _clock;
    private readonly bool _supervisor;
    private readonly TaskCompletionSource _completion = new();

    // While the body's synchronous part runs, _ends.Pending also holds this reserve, so that it cannot
    // reach zero before the children counted without atomics are added (see RunBody).
    private const long BodyReserve = 1L << 40;

    // The counters the threads that end children write (see EndCounters).
    private EndCounters _ends = new() { Pending = 1 };
    private int _bodyRunning = 1;

    // The thread running the body's synchronous part, while it runs (0 otherwise; managed thread ids
    // start at 1). Code on that thread runs inside the body's call, so the body holds the group open:
    // a child started there needs no atomic to enter, one that completes at once none to leave, and a
    // pending one is counted in _inlinePending, added to _ends.Pending when the synchronous part returns
    // (design rule 19). Only that thread writes _inlineCompleted and _inlinePending.
    private int _bodyThread;
    private int _inlineCompleted;
    private long _inlinePending;
    private FailureLog? _failures;
    private string? _cancelReason;
    private Task? _bodyTask;
    private ChildBatch? _openBatch;

    // The batch that children started on the body's thread during its synchronous part fill; only
    // that thread touches it, so it fills without atomics (ChildBatch.TryAddOwned).
    private ChildBatch? _inlineBatch;

    private TaskGroup(TaskGroupOptions? options, CancellationToken cancellationToken)
    {
        Id = IdGenerator.Next();
        Name = options?.Name;
        _supervisor = options?.Supervisor ?? false;
        _outerToken = cancellationToken;
        _parent = AmbientScope.Current;
        _clock = AmbientScope.InheritedClock(_parent);
        var parentToken = _parent?.Token ?? default;
        if (parentToken == cancellationToken)
        {
            parentToken = default;
        }

        _cts = (cancellationToken.CanBeCanceled, parentToken.CanBeCanceled) switch
        {
            (true, true) => CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, parentToken),
            (true, false) => CancellationTokenSource.CreateLinkedTokenSource(cancellationToken),
            (false, true) => CancellationTokenSource.CreateLinkedTokenSource(parentToken),
            _ => new CancellationTokenSource(),
        };
        _token = _cts.Token;
        if (BraidInstrumentation.IsEnabled)
        {
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.GroupStarted, Id, Name));
            TaskRegistry.GroupStarted(this, _parent);
        }
    }

    /// <summary>The group's stable, process-wide unique id.</summary>
    public long Id { get; }

    /// <summary>The group's name from <see cref="TaskGroupOptions.Name"/>, or <see langword="null"/>.</summary>
    public string? Name { get; }

    /// <summary>
    /// The token every child receives. It is cancelled by <see cref="Cancel"/>, by the first failure
    /// (unless the group is a supervisor), and by cancellation from outside.
    /// </summary>
    public CancellationToken CancellationToken => _token;

    /// <summary>The reason given to the first cancellation of the group, or <see langword="null"/> if it was not cancelled by itself.</summary>
    public string? CancelReason => Volatile.Read(ref _cancelReason);

    CancellationToken IAmbientScope.Token => _token;

    TimeProvider IAmbientScope.Clock => _clock;

    // The group has no deadline of its own; it inherits its clock from its parent, so the parent's
    // effective deadline is already an instant on the group's clock.
    DateTimeOffset? IAmbientScope.EffectiveDeadline => _parent?.EffectiveDeadline;

    private string DebuggerDisplay
    {
        get
        {
            var s = GetStatistics();
            return $"TaskGroup #{Id}{(Name is null ? string.Empty : $" '{Name}'")} running={s.Running} completed={s.Completed} faulted={s.Faulted} cancelled={s.Cancelled}{(s.IsFinished ? " finished" : string.Empty)}";
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> as the first member of a new group and completes when the body and
    /// every child it started have finished.
    /// </summary>
    /// <param name="body">The body. It receives the group, to start children; it counts as a child itself.</param>
    /// <param name="cancellationToken">Cancellation from outside: it cancels the group's token.</param>
    /// <returns>
    /// A task that completes when everything has finished: faulted with a <see cref="TaskGroupException"/>
    /// if anything failed, cancelled if <paramref name="cancellationToken"/> (or an enclosing scope) was
    /// cancelled and nothing failed, otherwise successfully.
    /// </returns>
    /// <remarks>
    /// The body runs synchronously on the calling thread until its first incomplete await. The
    /// returned task completes synchronously if the body and all children did.
    /// </remarks>
    public static Task RunAsync(Func<TaskGroup, Task> body, CancellationToken cancellationToken = default) =>
        RunAsync(body, null, cancellationToken);

    /// <summary>Runs <paramref name="body"/> in a new group configured by <paramref name="options"/>.</summary>
    /// <param name="body">The body. It receives the group, to start children; it counts as a child itself.</param>
    /// <param name="options">Supervisor mode and name; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancellation from outside: it cancels the group's token.</param>
    /// <returns>See <see cref="RunAsync(Func{TaskGroup, Task}, CancellationToken)"/>.</returns>
    /// <remarks>See <see cref="RunAsync(Func{TaskGroup, Task}, CancellationToken)"/>.</remarks>
    public static Task RunAsync(Func<TaskGroup, Task> body, TaskGroupOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var group = new TaskGroup(options, cancellationToken);
        group.RunBody(body);
        return group._completion.Task;
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a new group and returns the body's result once every child
    /// has finished.
    /// </summary>
    /// <typeparam name="T">The body's result type.</typeparam>
    /// <param name="body">The body. It receives the group, to start children; it counts as a child itself.</param>
    /// <param name="cancellationToken">Cancellation from outside: it cancels the group's token.</param>
    /// <returns>
    /// The body's result. Failures and outside cancellation are reported as for
    /// <see cref="RunAsync(Func{TaskGroup, Task}, CancellationToken)"/>. If the group cancelled itself
    /// (<see cref="Cancel"/>) and the body ended in cancellation, there is no result to return: this
    /// overload then throws <see cref="OperationCanceledException"/> carrying the group's token.
    /// </returns>
    /// <remarks>The body runs synchronously on the calling thread until its first incomplete await.</remarks>
    public static Task<T> RunAsync<T>(Func<TaskGroup, Task<T>> body, CancellationToken cancellationToken = default) =>
        RunAsync(body, null, cancellationToken);

    /// <summary>Runs <paramref name="body"/> in a new group configured by <paramref name="options"/> and returns its result.</summary>
    /// <typeparam name="T">The body's result type.</typeparam>
    /// <param name="body">The body. It receives the group, to start children; it counts as a child itself.</param>
    /// <param name="options">Supervisor mode and name; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancellation from outside: it cancels the group's token.</param>
    /// <returns>See <see cref="RunAsync{T}(Func{TaskGroup, Task{T}}, CancellationToken)"/>.</returns>
    /// <remarks>The body runs synchronously on the calling thread until its first incomplete await.</remarks>
    public static Task<T> RunAsync<T>(Func<TaskGroup, Task<T>> body, TaskGroupOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var group = new TaskGroup(options, cancellationToken);
        group.RunBody(body);
        return group.ResultAsync<T>();
    }

    /// <summary>
    /// Starts a child whose result nobody needs. The child runs at once, on the calling thread, until
    /// its first incomplete await; it receives the group's <see cref="CancellationToken"/>.
    /// </summary>
    /// <param name="child">The child. An exception it throws, synchronously or not, is a failure of the group.</param>
    /// <param name="name">An optional name, used in failures, statistics and instrumentation.</param>
    /// <exception cref="InvalidOperationException">The group has finished (its body and all its children are done).</exception>
    /// <remarks>Never waits. A child can start further children on the same group while the group is running.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // Optimized from the first child on, as the BCL is (design rule 106).
    public void Start(Func<CancellationToken, Task> child, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(child);
        var inline = Enter(name, out var record);

        // The child runs in the group's chain, not its caller's (design rule 13); free when the caller
        // already is in it (the body or a sibling), see AmbientScope.Enter.
        Task task;
        using (AmbientScope.Enter(this))
        {
            try
            {
                task = child(_token) ?? throw new InvalidOperationException($"Child {Describe(name)} of {this} returned a null task.");
            }
#pragma warning disable CA1031 // A child's synchronous exception is one of its failures, reported by the group.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                task = Task.FromException(exception);
            }
        }

        if (record is not null)
        {
            TaskRegistry.ChildRunning(record, task);
        }

        Track(task, name, inline);
    }

    /// <summary>
    /// Starts a child and returns its task, which the body (or anyone) can await for the result. The
    /// child runs at once, on the calling thread, until its first incomplete await.
    /// </summary>
    /// <typeparam name="T">The child's result type.</typeparam>
    /// <param name="child">The child. An exception it throws is a failure of the group, whether or not the returned task is awaited.</param>
    /// <param name="name">An optional name, used in failures, statistics and instrumentation.</param>
    /// <returns>
    /// The child's own task. Awaiting it in the body and letting its exception escape does not report
    /// that failure twice: the group keeps one copy of an exception object.
    /// </returns>
    /// <exception cref="InvalidOperationException">The group has finished.</exception>
    /// <remarks>Never waits.</remarks>
#pragma warning disable VSTHRD200 // Start never waits; the task it returns is the child's own, for its result.
    public Task<T> Start<T>(Func<CancellationToken, Task<T>> child, string? name = null)
#pragma warning restore VSTHRD200
    {
        ArgumentNullException.ThrowIfNull(child);
        var inline = Enter(name, out var record);
        Task<T> task;
        using (AmbientScope.Enter(this))
        {
            try
            {
                task = child(_token) ?? throw new InvalidOperationException($"Child {Describe(name)} of {this} returned a null task.");
            }
#pragma warning disable CA1031 // A child's synchronous exception is one of its failures, reported by the group.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                task = Task.FromException<T>(exception);
            }
        }

        if (record is not null)
        {
            TaskRegistry.ChildRunning(record, task);
        }

        Track(task, name, inline);
        return task;
    }

    /// <summary>
    /// Starts a child and waits until it reports, through the <see cref="StartSignal{T}"/> it is given,
    /// that it has started (Trio's <c>nursery.start</c>): for example a server that reports the port it
    /// listens on. From then on the child runs in the group like any other.
    /// </summary>
    /// <typeparam name="T">The value the child reports when it has started.</typeparam>
    /// <param name="child">The child: it calls <see cref="StartSignal{T}.Started(T)"/> once it is ready.</param>
    /// <param name="name">An optional name, used in failures, statistics and instrumentation.</param>
    /// <param name="cancellationToken">
    /// Cancels the wait, and the child with it, until the child has started. If it fires first, the
    /// returned task is cancelled at once (with this token), even if the child calls
    /// <see cref="StartSignal{T}.Started(T)"/> later; the child's token is cancelled, and the child,
    /// which the group still awaits, ending in cancellation counts as cancelled, not as a failure (a
    /// real failure of it is still the group's). After the child has started, only the group cancels it.
    /// </param>
    /// <returns>
    /// The value the child reported. If the child fails before reporting, its exception surfaces here
    /// (and not from the group); if it is cancelled first, this task is cancelled; if it finishes without
    /// reporting, this throws <see cref="InvalidOperationException"/>.
    /// </returns>
    /// <exception cref="InvalidOperationException">The group has finished.</exception>
    /// <remarks>
    /// The child runs synchronously on the calling thread until its first incomplete await; the
    /// returned task completes synchronously if it reported before that. The caller's continuation
    /// never runs inline inside <see cref="StartSignal{T}.Started(T)"/>.
    /// </remarks>
    public Task<T> StartAsync<T>(Func<StartSignal<T>, CancellationToken, Task> child, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(child);
        var record = EnterCounted(name);
        var signal = new StartSignal<T>(this, name, cancellationToken);

        // The child runs in the group's chain. Until it has started, the caller's token cancels it
        // too, so its link in the chain is the signal, whose token is the child's.
        IAmbientScope scope = cancellationToken.CanBeCanceled ? signal : this;
        Task task;
        using (AmbientScope.Enter(scope))
        {
            try
            {
                task = child(signal, signal.ChildToken) ?? throw new InvalidOperationException($"Child {Describe(name)} of {this} returned a null task.");
            }
#pragma warning disable CA1031 // A child's synchronous exception is routed to StartAsync's caller or to the group.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                task = Task.FromException(exception);
            }
        }

        if (record is not null)
        {
            TaskRegistry.ChildRunning(record, task);
            TaskRegistry.StartWaiting(record, signal.Task);
        }

        if (task.IsCompleted)
        {
            signal.OnChildCompleted(task);
        }
        else
        {
            task.ConfigureAwait(LoopSynchronizationContext.IsCurrent).GetAwaiter().UnsafeOnCompleted(() => signal.OnChildCompleted(task));
        }

        return signal.Task;
    }

    /// <summary>
    /// Cancels the group quietly: its token is cancelled, children wind down, and the group completes
    /// without an exception (unless something failed, or it was also cancelled from outside).
    /// </summary>
    /// <param name="reason">Why, kept in <see cref="CancelReason"/> and in the <c>ScopeCancelled</c> event.</param>
    /// <remarks>
    /// Never waits. Cancellation callbacks registered on the token run synchronously on this thread.
    /// Idempotent; the first reason is kept. Does nothing once the group has finished.
    /// </remarks>
    public void Cancel(string? reason = null) => CancelCore(reason ?? "cancelled by TaskGroup.Cancel");

    /// <summary>A snapshot of the children's states. Never waits.</summary>
    /// <returns>The counters; see <see cref="TaskGroupStatistics"/>.</returns>
    public TaskGroupStatistics GetStatistics()
    {
        var pending = Volatile.Read(ref _ends.Pending);
        // While the body's synchronous part runs, _ends.Pending carries the reserve, less the ends of
        // inline children that already finished (so it can dip just below the reserve, never near half).
        if (pending >= BodyReserve / 2)
        {
            pending += Volatile.Read(ref _inlinePending) - BodyReserve;
        }

        var running = (int)Math.Max(0, pending - Volatile.Read(ref _bodyRunning) - Volatile.Read(ref _ends.Holds));
        return new TaskGroupStatistics(
            running,
            Volatile.Read(ref _ends.Completed) + Volatile.Read(ref _inlineCompleted),
            Volatile.Read(ref _ends.Faulted),
            Volatile.Read(ref _ends.Cancelled),
            _token.IsCancellationRequested,
            pending == 0);
    }

    /// <summary>Describes the group: its id and, if it has one, its name.</summary>
    /// <returns>For example <c>task group #12 'fetch'</c>.</returns>
    public override string ToString() => Name is null ? $"task group #{Id}" : $"task group #{Id} '{Name}'";

    bool IAmbientScope.IsCancelledForNested() => _token.IsCancellationRequested || (_parent?.IsCancelledForNested() ?? false);

    /// <summary>
    /// Keeps the group open while a cancellation runs callbacks: a child that ends inside them, even
    /// the last, cannot finish the group before their failures are recorded. False once finished.
    /// </summary>
    internal bool TryHold()
    {
        var pending = Volatile.Read(ref _ends.Pending);
        while (pending > 0)
        {
            var seen = Interlocked.CompareExchange(ref _ends.Pending, pending + 1, pending);
            if (seen == pending)
            {
                Interlocked.Increment(ref _ends.Holds);
                return true;
            }

            pending = seen;
        }

        return false;
    }

    /// <summary>Ends a <see cref="TryHold"/>; the group finishes here if nothing else is left.</summary>
    internal void ReleaseHold()
    {
        Interlocked.Decrement(ref _ends.Holds);
        Leave();
    }

    /// <summary>Records the failures of callbacks registered on a token the group cancelled: nothing is dropped.</summary>
    internal void RecordCallbackFailures(AggregateException callbackFailures)
    {
        foreach (var failure in callbackFailures.InnerExceptions)
        {
            RecordFailure(failure, "cancellation callback", isBody: true);
        }
    }

    internal void CountPreStartOutcome(TaskStatus status)
    {
        switch (status)
        {
            case TaskStatus.RanToCompletion:
                Interlocked.Increment(ref _ends.Completed);
                break;
            case TaskStatus.Canceled:
                Interlocked.Increment(ref _ends.Cancelled);
                break;
            default:
                Interlocked.Increment(ref _ends.Faulted);
                break;
        }
    }

    internal CancellationToken InternalToken => _token;

    /// <summary>Accounts for a child's end; called exactly once per started child.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void OnChildCompleted(Task task, string? name)
    {
        Classify(task, name);
        RaiseFinished(task, name);
        Leave();
    }

    /// <summary>Accounts for the end of a child whose outcome was already counted (StartAsync before started).</summary>
    internal void OnChildLeft(Task task, string? name)
    {
        RaiseFinished(task, name);
        Leave();
    }

    private static string Describe(string? name) => name is null ? "(unnamed)" : $"'{name}'";

    /// <summary>
    /// Admits a child: true if it is started on the thread running the body's synchronous part, which
    /// holds the group open, so nothing is counted yet (see <see cref="Track"/>); otherwise the child is
    /// counted in <c>_ends.Pending</c>, or refused if the group has finished.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Enter(string? name, out ChildRecord? record)
    {
        record = null;
        if (_bodyThread == Environment.CurrentManagedThreadId)
        {
            if (BraidInstrumentation.IsEnabled)
            {
                BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.ChildStarted, Id, name));
                record = TaskRegistry.ChildStarting(this, name);
            }

            return true;
        }

        record = EnterCounted(name);
        return false;
    }

    // The record is the child's entry in a running task tree session (design rule 125), else null.
    private ChildRecord? EnterCounted(string? name)
    {
        var pending = Volatile.Read(ref _ends.Pending);
        while (true)
        {
            if (pending <= 0)
            {
                throw new InvalidOperationException(
                    $"Cannot start child {Describe(name)}: {this} has finished (its body and all its children are done). " +
                    "Start children from the body or from a running child, before the group completes.");
            }

            var seen = Interlocked.CompareExchange(ref _ends.Pending, pending + 1, pending);
            if (seen == pending)
            {
                break;
            }

            pending = seen;
        }

        if (BraidInstrumentation.IsEnabled)
        {
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.ChildStarted, Id, name));
            return TaskRegistry.ChildStarting(this, name);
        }

        return null;
    }

    private void RunBody(Func<TaskGroup, Task> body)
    {
        // Nobody else knows the group yet: plain writes. The reserve keeps _ends.Pending above zero while
        // children started on this thread are counted without atomics (see Enter and Track).
        _ends.Pending = 1 + BodyReserve;
        _bodyThread = Environment.CurrentManagedThreadId;
        Task task;
        using (AmbientScope.Enter(this))
        {
            try
            {
                task = body(this) ?? Task.FromException(new InvalidOperationException($"The body of {this} returned a null task."));
            }
#pragma warning disable CA1031 // The body's synchronous exception is one of the group's failures.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                task = Task.FromException(exception);
            }
            finally
            {
                // From here on every child is counted as it enters. The body still holds its one:
                // this cannot bring _ends.Pending to zero.
                _bodyThread = 0;
                Interlocked.Add(ref _ends.Pending, _inlinePending - BodyReserve);
            }
        }

        _bodyTask = task;
        if (task.IsCompleted)
        {
            OnBodyCompleted();
        }
        else
        {
            task.ConfigureAwait(LoopSynchronizationContext.IsCurrent).GetAwaiter().UnsafeOnCompleted(OnBodyCompleted);
        }
    }

    private void OnBodyCompleted()
    {
        Classify(_bodyTask!, BodyName, isBody: true);
        Volatile.Write(ref _bodyRunning, 0);
        Leave();
    }

    private async Task<T> ResultAsync<T>()
    {
        await _completion.Task.ConfigureAwait(false);
        // A body that threw synchronously was replaced by a non-generic faulted task: no result either.
        if (_bodyTask is Task<T> { Status: TaskStatus.RanToCompletion } body)
        {
            return await body.ConfigureAwait(false); // Complete: does not wait.
        }

        throw new OperationCanceledException(
            $"{this} was cancelled ({CancelReason ?? "no reason given"}) before its body produced a result.", _token);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Track(Task task, string? name, bool inline)
    {
        if (inline)
        {
            // Started on the thread running the body's synchronous part: not counted in _ends.Pending.
            if (task.IsCompletedSuccessfully)
            {
                _inlineCompleted++;
                RaiseFinished(task, name);
                return;
            }

            if (task.IsCompleted)
            {
                Classify(task, name);
                RaiseFinished(task, name);
                return;
            }

            _inlinePending++; // Added to _ends.Pending when the synchronous part returns; its end is a Leave.
        }
        else if (task.IsCompleted)
        {
            OnChildCompleted(task, name);
            return;
        }

        if (name is null && !LoopSynchronizationContext.IsCurrent)
        {
            // Off a loop, unnamed children share a callback in batches of eight (see ChildBatch).
            if (inline)
            {
                // Only this thread fills the body's batch: no atomic to take a slot.
                if (_inlineBatch is not { } own || !own.TryAddOwned(task))
                {
                    _inlineBatch = own = new ChildBatch(this);
                    own.TryAddOwned(task);
                }

                return;
            }

            var batch = Volatile.Read(ref _openBatch);
            if (batch is null || !batch.TryAdd(task))
            {
                var fresh = new ChildBatch(this);
                fresh.TryAdd(task);

                // A batch works whether or not it is the open one: losing this race costs nothing.
                Interlocked.CompareExchange(ref _openBatch, fresh, batch);
            }
        }
        else
        {
            // One small node and one delegate per child. On an AsyncLoop accounting stays on the
            // loop so that the loop (and its virtual clock) sees it, and each child is accounted by
            // its own step, in the order the children ended.
            var node = name is null ? new ChildNode(this, task) : new NamedChildNode(this, task, name);
            task.ConfigureAwait(LoopSynchronizationContext.IsCurrent).GetAwaiter().UnsafeOnCompleted(node.OnCompleted);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Classify(Task task, string? name, bool isBody = false)
    {
        switch (task.Status)
        {
            case TaskStatus.RanToCompletion:
                if (!isBody)
                {
                    Interlocked.Increment(ref _ends.Completed);
                }

                return;
            case TaskStatus.Canceled:
                if (_token.IsCancellationRequested)
                {
                    if (!isBody)
                    {
                        Interlocked.Increment(ref _ends.Cancelled);
                    }

                    return;
                }

                // Cancelled by a token the group knows nothing of (a client's own timeout): that is an
                // error of the child, not a cancellation of the group.
                RecordFailure(CancellationOf(task), name, isBody);
                return;
            default:
                var aggregate = task.Exception!;
                var exception = aggregate.InnerExceptions.Count == 1 ? aggregate.InnerExceptions[0] : aggregate;
                if (exception is OperationCanceledException && _token.IsCancellationRequested)
                {
                    if (!isBody)
                    {
                        Interlocked.Increment(ref _ends.Cancelled);
                    }

                    return;
                }

                RecordFailure(exception, name, isBody);
                return;
        }
    }

    private static OperationCanceledException CancellationOf(Task task) => new TaskCanceledException(task);

    private void RecordFailure(Exception exception, string? name, bool isBody)
    {
        if (!isBody)
        {
            Interlocked.Increment(ref _ends.Faulted);
        }

        var failures = Volatile.Read(ref _failures)
            ?? Interlocked.CompareExchange(ref _failures, new FailureLog(), null)
            ?? _failures!;
        if (!failures.TryAdd(name, exception))
        {
            return; // The body awaited a child's task and let its exception escape: one failure, not two.
        }

        if (!_supervisor)
        {
            CancelCore($"child {Describe(name)} failed: {exception.GetType().Name}: {exception.Message}");
        }
    }

    private void CancelCore(string reason)
    {
        // Held open while the callbacks run: a child that ends inside them (its continuation runs
        // inline when there is no context to post to) could otherwise finish the group before Cancel
        // throws the callbacks' failures, and they would be lost.
        if (!TryHold())
        {
            return; // Finished: nothing is left to cancel.
        }

        try
        {
            if (Interlocked.CompareExchange(ref _cancelReason, reason, null) is null && BraidInstrumentation.IsEnabled)
            {
                BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.ScopeCancelled, Id, Name, Message: reason));
            }

            _cts.Cancel();
        }
        catch (AggregateException callbackFailures)
        {
            // A callback registered on the group's token threw: nothing is dropped, it is a failure.
            RecordCallbackFailures(callbackFailures);
        }
        finally
        {
            ReleaseHold();
        }
    }

    // Per child: the check is inlined into the optimized per-child path (rule 106), the event is not.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RaiseFinished(Task task, string? name)
    {
        if (BraidInstrumentation.IsEnabled)
        {
            RaiseFinishedEvent(task, name);
        }
    }

    private void RaiseFinishedEvent(Task task, string? name)
    {
        BraidInstrumentation.Raise(new BraidEvent(
            BraidEventKind.ChildFinished, Id, name, Message: task.Status.ToString(), Exception: task.IsFaulted ? task.Exception : null));
        TaskRegistry.ChildFinished(task);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Leave()
    {
        if (Interlocked.Decrement(ref _ends.Pending) == 0)
        {
            Finish();
        }
    }

    private void Finish()
    {
        var outerCancelled = _outerToken.IsCancellationRequested || (_parent?.IsCancelledForNested() ?? false);
        var failures = Volatile.Read(ref _failures);
        _cts.Dispose();
        if (failures is not null)
        {
            var (names, exceptions) = failures.Snapshot();
            var error = new TaskGroupException(Id, Name, names, exceptions);
            RaiseGroupFinished(nameof(TaskStatus.Faulted), error);
            _completion.TrySetException(error);
        }
        else if (outerCancelled)
        {
            RaiseGroupFinished(nameof(TaskStatus.Canceled), null);
            _completion.TrySetCanceled(_outerToken.IsCancellationRequested ? _outerToken : _parent!.Token);
        }
        else
        {
            RaiseGroupFinished(nameof(TaskStatus.RanToCompletion), null);
            _completion.TrySetResult();
        }
    }

    // Before the completion is set: a listener sees a group end before anything awaiting it resumes.
    private void RaiseGroupFinished(string status, Exception? error)
    {
        if (BraidInstrumentation.IsEnabled)
        {
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.GroupFinished, Id, Name, Message: status, Exception: error));
            TaskRegistry.GroupFinished(this);
        }
    }

    /// <summary>
    /// The failures in the order they were recorded, each exception object once. The set makes the
    /// duplicate check O(1): a scan of the list made recording n failures O(n²).
    /// </summary>
    private sealed class FailureLog
    {
        private readonly List<string?> _names = [];
        private readonly List<Exception> _exceptions = [];
        private readonly HashSet<Exception> _seen = new(ReferenceEqualityComparer.Instance);

        public bool TryAdd(string? name, Exception exception)
        {
            lock (_seen)
            {
                if (!_seen.Add(exception))
                {
                    return false;
                }

                _names.Add(name);
                _exceptions.Add(exception);
                return true;
            }
        }

        public (string?[] Names, Exception[] Exceptions) Snapshot()
        {
            lock (_seen)
            {
                return ([.. _names], [.. _exceptions]);
            }
        }
    }

    /// <summary>
    /// The counters written by the threads that end children. A cache line of padding on each side
    /// (152 bytes a group), to keep an ending thread's atomic update off the cache line the starting
    /// thread uses for every child, made no difference that a quiet A/B could show (bench/README.md,
    /// seventh session), so the counters are plain fields again.
    /// </summary>
    private struct EndCounters
    {
        /// <summary>
        /// Children running, plus one while the body runs, plus one per cancellation in progress (a
        /// hold), plus <see cref="BodyReserve"/> while the body's synchronous part runs. Once it reaches
        /// zero the group is finished and it never rises again: Start refuses to increment from zero.
        /// </summary>
        public long Pending;

        public int Completed;

        public int Faulted;

        public int Cancelled;

        public int Holds;
    }

    /// <summary>What a pending named child, or one on a loop, costs: this node (32 bytes unnamed) and the delegate bound to it.</summary>
    private class ChildNode(TaskGroup group, Task task)
    {
        protected virtual string? Name => null;

        public void OnCompleted() => group.OnChildCompleted(task, Name);
    }

    private sealed class NamedChildNode(TaskGroup group, Task task, string name) : ChildNode(group, task)
    {
        protected override string? Name => name;
    }
}
