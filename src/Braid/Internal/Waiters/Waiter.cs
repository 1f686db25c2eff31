using System.Threading.Tasks.Sources;
using Braid.Loop;

namespace Braid.Internal.Waiters;

/// <summary>
/// One queued waiter: a pooled, intrusive node that is its own <see cref="IValueTaskSource{TResult}"/>,
/// so queuing a waiter allocates nothing once the owner's pool is warm.
/// </summary>
/// <remarks>
/// <para>The protocol, shared by every primitive, queue and channel that waits:</para>
/// <list type="number">
/// <item>Under its own lock, the owner rents a node (<see cref="WaiterPool{T}.Rent"/>), fills
/// <see cref="Tag"/>/<see cref="State"/>/<see cref="Item"/> and <see cref="Token"/> (the token it will arm with,
/// so that a hand-off can re-check it) and enqueues it in a <see cref="WaiterQueue{T}"/>; it reads
/// <see cref="Task"/> or <see cref="VoidTask"/> before leaving the lock.</item>
/// <item>Outside the lock, the owner calls <see cref="Arm"/> to register cancellation. If the token is
/// already cancelled the callback runs synchronously on this thread, which is why it must not be called
/// under the owner's lock.</item>
/// <item>Whoever removes the node from its queue under the owner's lock decides its outcome: a releaser
/// that dequeues it hands it the value (<see cref="SetResult"/>); the cancellation callback that removes it
/// fails it (<see cref="SetCanceled"/>). A releaser also skips a node whose <see cref="Token"/> is already
/// cancelled (its callback may still be waiting for the lock; see <see cref="WaiterQueue{T}.DequeueLive(ref WaiterList{T})"/>):
/// that node is removed and failed as cancelled, and the value goes to the next one. Only an owner that
/// releases every waiter at once (an event, a barrier phase) may skip the re-check: it takes nothing from
/// anyone. A node no longer queued is ignored by a late callback, so a cancelled waiter never takes anything
/// and a hand-off never reaches a waiter that was already removed.</item>
/// <item>Completion never runs a waiter's code in the completing call (design rules 36 and 42). A node queued
/// on an <see cref="AsyncLoop"/> (<see cref="Loop"/>, captured by <see cref="WaiterPool{T}.Rent"/>) is completed
/// by a step posted to that loop, in release order, before the releasing call returns: the loop counts the wake
/// as pending, so autojump and wait-until-all-blocked never move past it, and an awaiter on the loop resumes
/// inside that very step. Off a loop, completion is deferred to a thread-pool work item (the node), or, for a
/// node of a pool built with <c>completesAtOnce</c>, happens at once with the continuation dispatched
/// asynchronously (<c>RunContinuationsAsynchronously</c>).</item>
/// <item>The awaiter's <c>GetResult</c> disposes the cancellation registration (waiting for a callback that
/// is running right now to finish; it never holds the owner's lock, so that cannot deadlock), resets the
/// node and returns it to the pool. A node is therefore never reused while an old callback could still see it.</item>
/// </list>
/// </remarks>
/// <typeparam name="T">What a successful wait returns.</typeparam>
internal sealed class Waiter<T> : IValueTaskSource<T>, IValueTaskSource, IThreadPoolWorkItem, ILoopStepOwner
{
    private static readonly Action<object?, CancellationToken> CancelCallback = static (state, token) =>
    {
        var waiter = (Waiter<T>)state!;
        waiter._owner?.OnWaiterCancellationRequested(waiter, token);
    };

    private static readonly SendOrPostCallback CompleteOnLoopCallback = static state => ((Waiter<T>)state!).CompleteOnLoop();

    // Continuations never run inline on the completing thread. By default completion itself is deferred to a
    // thread-pool work item (this node), where the core then runs the continuation inline, or posts it to the
    // awaiter's captured context: queuing the node instead of the core's own asynchronous dispatch saves the
    // work-item allocation per hand-off. A node of a pool built with completesAtOnce (queues, channels)
    // completes the task at once instead and lets the core dispatch the continuation: an awaiter that checks
    // after the hand-off (a get queued, then a put on the same thread) then continues with no dispatch at all.
    private ManualResetValueTaskSourceCore<T> _core;
    private readonly bool _completesAtOnce;
    private T _pendingResult = default!;
    private Exception? _pendingException;
    private Exception? _failOnResult;
    private CancellationTokenRegistration _registration;
    private IWaiterOwner<T>? _owner;
    private readonly WaiterPool<T>? _pool;

    // Written by OnCompleted on the loop's own thread, read by the completing step on that thread: an awaiter
    // on the loop resumes inline in the step; any other awaiter is dispatched away from it.
    private bool _awaitedOnLoop;

    // What the awaiter registered (its async method's box, or its delegate), for debug mode only: a wake step
    // is named after the code it resumes. Written with _awaitedOnLoop, on the loop's thread; cleared on reuse.
    private object? _continuationTarget;

    /// <summary>Creates a node that returns to <paramref name="pool"/> after its result was read (or to nowhere if null).</summary>
    internal Waiter(WaiterPool<T>? pool)
    {
        _pool = pool;
        _completesAtOnce = pool?.CompletesAtOnce ?? false;
        _core.RunContinuationsAsynchronously = _completesAtOnce;
    }

    /// <summary>
    /// The loop this node was queued from, or null off a loop: set by <see cref="WaiterPool{T}.Rent"/> (on the
    /// waiting thread, under the owner's lock), so every releaser sees it. Completion then happens as a step of
    /// that loop. Reset on reuse.
    /// </summary>
    internal AsyncLoop? Loop;

    /// <summary>The queue holding this node, or null; written only by <see cref="WaiterQueue{T}"/> under the owner's lock.</summary>
    internal WaiterQueue<T>? Queue;

    /// <summary>Intrusive links, used by <see cref="WaiterQueue{T}"/> and <see cref="WaiterList{T}"/>.</summary>
    internal Waiter<T>? Next;

    /// <summary>The previous node in its <see cref="WaiterQueue{T}"/>.</summary>
    internal Waiter<T>? Previous;

    /// <summary>The next free node in a <see cref="WaiterPool{T}"/>.</summary>
    internal Waiter<T>? PoolNext;

    /// <summary>Owner-defined number (a kind, a requested count); reset to zero on reuse.</summary>
    internal long Tag;

    /// <summary>Owner-defined reference (a borrower, the channel clone a waiter waits through); reset to null on reuse.</summary>
    internal object? State;

    /// <summary>The recorded child that queued this node, set only while a task tree session runs (docs/design.md rule 125).</summary>
    internal Braid.Instrumentation.ChildRecord? WaitingChild;

    /// <summary>
    /// Owner-defined typed payload, for example the item a queue putter waits to add: typed, so a value-type
    /// item is never boxed (no allocation per waiter beyond the pooled node); reset to default on reuse.
    /// </summary>
    internal T Item = default!;

    /// <summary>
    /// The token the wait registers, for a releaser to re-check at hand-off: the owner sets it under its lock
    /// before enqueuing, and it is only read under that lock. <see cref="Arm"/> does not write it (a node may
    /// already have moved to another owner's queue when it is armed, as a notified condition waiter does).
    /// A node moved to a queue where its cancellation no longer applies gets the default token. Reset on reuse.
    /// </summary>
    internal CancellationToken Token;

    /// <summary>The task for a caller that wants the value; read it under the owner's lock, before <see cref="Arm"/>.</summary>
    internal ValueTask<T> Task => new(this, _core.Version);

    /// <summary>The task for a caller that wants completion only.</summary>
    internal ValueTask VoidTask => new(this, _core.Version);

    /// <summary>Whether the node sits in a queue right now (only meaningful under the owner's lock).</summary>
    internal bool IsQueued => Queue is not null;

    /// <summary>
    /// Registers cancellation. Call it after the node was queued and outside the owner's lock: when
    /// <paramref name="cancellationToken"/> is already cancelled the callback runs synchronously.
    /// </summary>
    internal void Arm(IWaiterOwner<T> owner, CancellationToken cancellationToken)
    {
        _owner = owner;
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(CancelCallback, this);
        }
    }

    /// <summary>
    /// Completes the wait with <paramref name="result"/>, after dequeuing the node. On a loop completion is a
    /// posted step; off a loop it is deferred to a thread-pool work item (or dispatched asynchronously by the
    /// core). Either way this never runs the waiter's code and is safe even under the owner's lock; owners still
    /// call it after leaving the lock where they can.
    /// </summary>
    internal void SetResult(T result)
    {
        if (_failOnResult is { } failure)
        {
            // The owner turned this success into a failure ahead of time (see FailOnResult).
            _failOnResult = null;
            SetException(failure);
            return;
        }

        if (Loop is null && _completesAtOnce)
        {
            _core.SetResult(result); // the core dispatches the continuation; touch nothing afterwards
            return;
        }

        _pendingResult = result;
        Dispatch();
    }

    /// <summary>
    /// Makes the next <see cref="SetResult"/> fail with <paramref name="exception"/> instead: for a waiter
    /// that must still wait for something (a condition waiter retaking its lock) before reporting its
    /// cancellation. Call it before the node is queued where it will be completed.
    /// </summary>
    internal void FailOnResult(Exception exception) => _failOnResult = exception;

    /// <summary>Fails the wait with cancellation; call it outside the owner's lock, after removing the node.</summary>
    internal void SetCanceled(CancellationToken cancellationToken) =>
        SetException(new OperationCanceledException(cancellationToken));

    /// <summary>Fails the wait with <paramref name="exception"/> (for example a closed channel).</summary>
    internal void SetException(Exception exception)
    {
        if (Loop is null && _completesAtOnce)
        {
            _core.SetException(exception);
            return;
        }

        _pendingException = exception;
        Dispatch();
    }

    // A node queued on a loop completes as a step of that loop, posted now, so that the loop counts the wake as
    // pending from this moment and runs wakes in the order they were released. A loop that has ended takes no
    // step: the completion then goes to the thread pool, so nothing is lost.
    private void Dispatch()
    {
        if (Loop is not { } loop || !loop.TryPost(CompleteOnLoopCallback, this))
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    // The step: an awaiter that registered on this loop's thread resumes inline, inside this step; an awaiter
    // elsewhere (the node was queued on the loop but awaited on another thread) is dispatched away from the loop.
    private void CompleteOnLoop()
    {
        _core.RunContinuationsAsynchronously = !_awaitedOnLoop;
        Complete();
    }

    /// <summary>Runs on the thread pool: completes the core, which runs or posts the continuation.</summary>
    void IThreadPoolWorkItem.Execute() => Complete();

    private void Complete()
    {
        // After completing, the node may be recycled at once by the awaiter: touch nothing afterwards.
        var exception = _pendingException;
        if (exception is not null)
        {
            _pendingException = null;
            _core.SetException(exception);
        }
        else
        {
            var result = _pendingResult;
            _pendingResult = default!;
            _core.SetResult(result);
        }
    }

    /// <inheritdoc />
    object? ILoopStepOwner.ContinuationTarget => _continuationTarget;

    /// <inheritdoc />
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc />
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if (Loop is { } loop && ReferenceEquals(AsyncLoop.Current, loop))
        {
            // Awaited on the loop it was queued from: the completing step runs on this thread after the current
            // step ends, so there is no race with it. The continuation will run inside that step; capturing the
            // loop's context would only post it a second time.
            _awaitedOnLoop = true;
            _continuationTarget = state ?? continuation;
            if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0
                && SynchronizationContext.Current is LoopSynchronizationContext context
                && ReferenceEquals(context.Loop, loop))
            {
                flags &= ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext;
            }
        }

        _core.OnCompleted(continuation, state, token, flags);
    }

    /// <inheritdoc />
    public T GetResult(short token)
    {
        if (token != _core.Version)
        {
            // Misuse (awaiting twice): let the core throw without recycling a node someone else may own.
            return _core.GetResult(token);
        }

        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    // Why resetting here cannot race the completing thread: the core reports a status other than
    // Pending only once its continuation slot is non-null, and the completer's compare-and-swap of
    // that slot (to its sentinel, when nobody awaits yet) is its last access to the node. When a
    // continuation was registered first, the completer reads its state before invoking or queuing
    // it, and the continuation is what calls GetResult. Either way the completer is done with the
    // node before anyone can reach this point (the pattern System.Threading.Channels uses for its
    // pooled operations).
    private void Recycle()
    {
        // Waits for a callback running right now (it only takes the owner's lock briefly, and we hold
        // no lock here); after this no callback can see the node, so reusing it is safe.
        _registration.Dispose();
        _registration = default;
        _owner = null;
        _failOnResult = null;
        _awaitedOnLoop = false;
        _continuationTarget = null;
        _core.RunContinuationsAsynchronously = _completesAtOnce;
        Loop = null;
        Tag = 0;
        State = null;
        Item = default!;
        Token = default;
        Next = null;
        Previous = null;
        _core.Reset();
        _pool?.Return(this);
    }
}
