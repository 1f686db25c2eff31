using System.Diagnostics;
using Braid.Internal;
using Braid.Loop;

namespace Braid.Channels;

/// <summary>
/// The leader/followers pattern: a fixed set of workers drains one <see cref="AsyncQueue{T}"/>, each
/// running a handler per item. The worker that has waited longest is the leader: it takes the next
/// item, and the next waiting worker becomes the leader while it works.
/// </summary>
/// <remarks>
/// <para>Workers start at construction and run until <see cref="ShutdownAsync"/> or
/// <see cref="DisposeAsync"/> has waited for every one of them: no worker outlives the pool (use
/// <c>await using</c>). The workers are supervised by the pool itself.</para>
/// <para>A handler failure does not stop the pool and is never swallowed: the item counts as done, the
/// exception is kept (in the order failures happened, see <see cref="Failures"/>), and
/// <see cref="ShutdownAsync"/> throws them together in one <see cref="AggregateException"/>.</para>
/// <para>Workers start with <see cref="Task.Yield"/> and await handlers without
/// <c>ConfigureAwait(false)</c>, so handlers run in the creator's synchronization context when there
/// is one (an event loop), and on the thread pool otherwise.</para>
/// </remarks>
/// <typeparam name="T">The type of the work items.</typeparam>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class WorkerPool<T> : IAsyncDisposable
{
    private readonly AsyncQueue<T> _queue;
    private readonly Func<T, CancellationToken, ValueTask> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _sync = new();
    private readonly List<Exception> _failures = [];
    private readonly List<T> _unprocessed = [];
    private readonly Task _workers;
    private bool _shutdownRequested;
    private bool _failuresObserved;

    // Under _sync: the lifetime of _stop. Immediate shutdowns cancelling it right now (each awaits the
    // callbacks); whether DisposeAsync asked for it to be disposed; whether it is. Whoever leaves last
    // disposes it, so no ShutdownAsync ever cancels a disposed source (ObjectDisposedException) and
    // DisposeAsync never pulls it from under callbacks still running.
    private int _cancelling;
    private bool _disposeRequested;
    private bool _stopDisposed;
    private int _busy;
    private long _handled;
    private long _cancelled;

    /// <summary>Starts <paramref name="workerCount"/> workers over a new queue.</summary>
    /// <param name="workerCount">How many items may be handled at once; at least 1.</param>
    /// <param name="handler">
    /// Handles one item. Its token is cancelled by an immediate shutdown. An exception it throws is
    /// recorded as a failure; an <see cref="OperationCanceledException"/> after an immediate shutdown
    /// counts as cancelled, not failed.
    /// </param>
    /// <param name="capacity">The queue's capacity (posts wait while it is full); unbounded by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workerCount"/> or <paramref name="capacity"/> is less than 1.</exception>
    public WorkerPool(int workerCount, Func<T, CancellationToken, ValueTask> handler, int capacity = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 1);
        ArgumentNullException.ThrowIfNull(handler);
        _queue = new AsyncQueue<T>(capacity);
        _handler = handler;
        Id = IdGenerator.Next();
        WorkerCount = workerCount;
        var workers = new Task[workerCount];
        for (var i = 0; i < workerCount; i++)
        {
            workers[i] = RunWorkerAsync();
        }

        _workers = Task.WhenAll(workers);
    }

    /// <summary>The pool's stable, process-wide unique id.</summary>
    public long Id { get; }

    /// <summary>How many workers the pool runs.</summary>
    public int WorkerCount { get; }

    /// <summary>The handler failures so far, in the order they happened (a snapshot).</summary>
    public IReadOnlyList<Exception> Failures
    {
        get
        {
            lock (_sync)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>The items an immediate shutdown removed before any worker took them (a snapshot).</summary>
    public IReadOnlyList<T> Unprocessed
    {
        get
        {
            lock (_sync)
            {
                return [.. _unprocessed];
            }
        }
    }

    /// <summary>Queues an item for the workers, waiting for room while the queue is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels the wait for room; a cancelled post queued nothing.</param>
    /// <returns>A task that completes when the item is queued.</returns>
    /// <exception cref="QueueShutDownException">The pool is shutting down.</exception>
    /// <remarks>Completes synchronously when there is room. Waiting posters are admitted in FIFO order.</remarks>
    public ValueTask PostAsync(T item, CancellationToken cancellationToken = default) => _queue.PutAsync(item, cancellationToken);

    /// <summary>Queues an item if there is room, without waiting.</summary>
    /// <param name="item">The item.</param>
    /// <returns><see langword="true"/> if queued; <see langword="false"/> if the queue is full.</returns>
    /// <exception cref="QueueShutDownException">The pool is shutting down.</exception>
    public bool TryPost(T item) => _queue.TryPut(item);

    /// <summary>Waits until every item posted so far has been handled (successfully or not).</summary>
    /// <param name="cancellationToken">Cancels this wait only.</param>
    /// <returns>A task that completes when no posted item is pending or in progress.</returns>
    /// <remarks>Completes synchronously when nothing is pending. Failures are not thrown here but by <see cref="ShutdownAsync"/>.</remarks>
    public ValueTask JoinAsync(CancellationToken cancellationToken = default) => _queue.JoinAsync(cancellationToken);

    /// <summary>
    /// Stops the pool and waits for every worker to finish. Graceful (the default): posting stops, the
    /// workers drain the queue, then exit. Immediate: the queued items are removed (see
    /// <see cref="Unprocessed"/>) and the handlers' token is cancelled.
    /// </summary>
    /// <param name="immediate">Whether to drop the queued items and cancel the handlers in progress.</param>
    /// <param name="cancellationToken">Cancels this wait only; the shutdown itself goes on.</param>
    /// <returns>A task that completes when every worker has exited.</returns>
    /// <exception cref="AggregateException">One or more handlers failed; every failure, in order.</exception>
    /// <remarks>May be called again (for example graceful first, then immediate to escalate).</remarks>
    public async Task ShutdownAsync(bool immediate = false, CancellationToken cancellationToken = default)
    {
        var removed = _queue.Shutdown(immediate);
        bool cancel;
        lock (_sync)
        {
            _shutdownRequested = true;
            _unprocessed.AddRange(removed);

            // Once the source is disposed, every worker has exited: there is nothing left to cancel.
            cancel = immediate && !_stopDisposed;
            if (cancel)
            {
                _cancelling++;
            }
        }

        if (cancel)
        {
            await CancelHandlersAsync().ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        }

        await WaitForWorkersAsync(cancellationToken).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        ThrowFailures();
    }

    /// <summary>
    /// Shuts down immediately if no shutdown was requested, and waits for every worker. Throws the
    /// handler failures only if no completed <see cref="ShutdownAsync"/> has thrown them already.
    /// </summary>
    /// <returns>A task that completes when every worker has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        bool requested;
        lock (_sync)
        {
            requested = _shutdownRequested;
        }

        try
        {
            if (!requested)
            {
                await ShutdownAsync(immediate: true, CancellationToken.None).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
                return;
            }

            await _workers.ConfigureAwait(LoopSynchronizationContext.IsCurrent);
            bool observed;
            lock (_sync)
            {
                observed = _failuresObserved;
            }

            if (!observed)
            {
                ThrowFailures();
            }
        }
        finally
        {
            bool dispose;
            lock (_sync)
            {
                _disposeRequested = true;
                dispose = TakeDisposalLocked();
            }

            if (dispose)
            {
                _stop.Dispose();
            }
        }
    }

    /// <summary>A snapshot of the pool's counters.</summary>
    /// <returns>The statistics.</returns>
    public WorkerPoolStatistics GetStatistics()
    {
        var queue = _queue.GetStatistics();
        lock (_sync)
        {
            return new WorkerPoolStatistics(
                WorkerCount,
                Volatile.Read(ref _busy),
                queue.Count,
                Interlocked.Read(ref _handled),
                _failures.Count,
                Interlocked.Read(ref _cancelled),
                queue.IsShutDown);
        }
    }

    // Cancels the handlers' token and waits for its callbacks. A callback that throws was registered
    // by a handler on its token: its exception is a handler failure, kept like the others, and the
    // shutdown still waits for every worker (it used to escape here, before the workers had exited,
    // and DisposeAsync then disposed the source under them).
    //
    // On an AsyncLoop the token is cancelled synchronously, on the loop: CancelAsync would run the callbacks on
    // the thread pool, where the loop cannot see them, and an autojumping clock moved on before the handlers
    // saw their cancellation (design rule 104). The wakes those callbacks cause are loop steps (rule 36).
    private async Task CancelHandlersAsync()
    {
        var cancelling = Task.CompletedTask;
        try
        {
            if (LoopSynchronizationContext.IsCurrent)
            {
#pragma warning disable VSTHRD103 // Cancel, not CancelAsync, on purpose: see above.
                _stop.Cancel();
#pragma warning restore VSTHRD103
            }
            else
            {
                cancelling = _stop.CancelAsync();
                await cancelling.ConfigureAwait(false);
            }
        }
        catch (AggregateException errors) when (cancelling.IsCompleted && cancelling.Exception is null)
        {
            // Cancel() threw the callbacks' exceptions itself.
            lock (_sync)
            {
                _failures.AddRange(errors.Flatten().InnerExceptions);
            }
        }
#pragma warning disable CA1031 // Only the callbacks' exceptions, collected from the task: they are kept as failures.
        catch (Exception) when (cancelling.Exception is { } errors)
#pragma warning restore CA1031
        {
            lock (_sync)
            {
                _failures.AddRange(errors.Flatten().InnerExceptions);
            }
        }
        finally
        {
            bool dispose;
            lock (_sync)
            {
                _cancelling--;
                dispose = TakeDisposalLocked();
            }

            if (dispose)
            {
                _stop.Dispose();
            }
        }
    }

    // Task.WaitAsync(token) would do, but it takes its registration off the token only after running
    // the continuations it releases: a caller resumed by it could find it still on its token. This
    // one is disposed before the wait ends.
    private async Task WaitForWorkersAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled || _workers.IsCompleted)
        {
            await _workers.ConfigureAwait(LoopSynchronizationContext.IsCurrent);
            return;
        }

        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.UnsafeRegister(static s => ((TaskCompletionSource)s!).TrySetResult(), cancelled))
        {
            if (await Task.WhenAny(_workers, cancelled.Task).ConfigureAwait(LoopSynchronizationContext.IsCurrent) != _workers)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }

        await _workers.ConfigureAwait(LoopSynchronizationContext.IsCurrent);
    }

    // Under _sync: whether the caller is the one to dispose _stop now (asked for, and nobody cancelling).
    private bool TakeDisposalLocked()
    {
        if (!_disposeRequested || _cancelling > 0 || _stopDisposed)
        {
            return false;
        }

        _stopDisposed = true;
        return true;
    }

    private void ThrowFailures()
    {
        Exception[] failures;
        lock (_sync)
        {
            _failuresObserved = true;
            failures = [.. _failures];
        }

        if (failures.Length > 0)
        {
            throw new AggregateException($"{failures.Length} work item(s) failed in worker pool #{Id}.", failures);
        }
    }

    private async Task RunWorkerAsync()
    {
        // Never run a handler on the constructor's stack; continue in the creator's context if any.
        await Task.Yield();
        var stop = _stop.Token;
        while (true)
        {
            T item;
            try
            {
                item = await _queue.GetAsync(stop);
            }
            catch (QueueShutDownException)
            {
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref _busy);
            try
            {
                await _handler(item, stop);
                Interlocked.Increment(ref _handled);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _cancelled);
            }
#pragma warning disable CA1031 // Every handler failure is kept and surfaced by ShutdownAsync: nothing is dropped.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                lock (_sync)
                {
                    _failures.Add(ex);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _busy);
                _queue.TaskDone();
            }
        }
    }

    private string DebuggerDisplay
    {
        get
        {
            var s = GetStatistics();
            return $"WorkerPool #{Id}: {s.Busy}/{s.Workers} busy, {s.Queued} queued, {s.Handled} handled, {s.Failed} failed{(s.IsShutDown ? ", shut down" : "")}";
        }
    }
}
