using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Coordination;

/// <summary>
/// A counting semaphore for asynchronous code: <see cref="WaitAsync"/> takes a permit, waiting while none is
/// available; <see cref="Release"/> gives permits back. <see cref="AcquireAsync"/> returns a releaser for
/// <c>using</c>.
/// </summary>
/// <remarks>
/// <para><b>Fairness.</b> First-come, first-served: while anyone waits, a released permit goes directly to
/// the oldest waiter and the count stays at zero, so a newcomer cannot overtake. Continuations never run
/// inline on the releasing thread.</para>
/// <para><b>Cancellation.</b> A cancelled wait took no permit; a permit released at the same moment goes to
/// the next waiter instead (a release passes over a waiter whose token already fired, even before its
/// cancellation callback ran).</para>
/// <para><b>Cost.</b> The uncontended path is one interlocked operation and allocates nothing.</para>
/// <para>Permits are not owned: any code may release. Use <c>CapacityLimiter</c> for owner tracking.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncSemaphore : IWaiterOwner<AsyncSemaphore.Releaser>
{
    // _state >= 0: that many permits are free and nobody waits. _state == -1: no permit is free and the
    // queue is not empty. Only code under _gate moves the state away from -1.
    private const int Contended = -1;

    private readonly Lock _gate = new();
    private readonly WaiterQueue<Releaser> _waiters = new();
    private readonly WaiterPool<Releaser> _pool = new();
    private int _state;
    private long _contentions;
    private long _cancellations;

    /// <summary>Creates a semaphore with <paramref name="initialCount"/> free permits and at most <paramref name="maxCount"/>.</summary>
    /// <param name="initialCount">Permits free at the start (0 or more).</param>
    /// <param name="maxCount">The most permits that may be free at once; releasing beyond it throws.</param>
    public AsyncSemaphore(int initialCount, int maxCount = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initialCount, maxCount);
        _state = initialCount;
        MaxCount = maxCount;
    }

    /// <summary>The stable, process-wide unique id of this semaphore.</summary>
    public long Id { get; } = IdGenerator.Next();

    /// <summary>The most permits that may be free at once.</summary>
    public int MaxCount { get; }

    /// <summary>How many permits are free right now (a snapshot).</summary>
    public int CurrentCount => Math.Max(0, Volatile.Read(ref _state));

    private string DebuggerDisplay => $"AsyncSemaphore #{Id}: {CurrentCount} free, {_waiters.Count} waiting";

    /// <summary>Takes a permit, waiting while none is free.</summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait took no permit.</param>
    /// <returns>A task that completes once the permit is taken.</returns>
    /// <remarks>
    /// Completes synchronously, without allocating, when a permit is free. An already cancelled token gives
    /// a cancelled result even when a permit is free. Waiters are served FIFO.
    /// </remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled; no permit was taken.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.IsCancellationRequested && TryTakeFast())
        {
            return default;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var waiter = Enqueue(cancellationToken, out _);
        return waiter is null ? default : waiter.VoidTask;
    }

    /// <summary>Takes a permit like <see cref="WaitAsync"/> and returns a releaser that gives it back when disposed.</summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait took no permit.</param>
    /// <returns>A releaser holding one permit.</returns>
    /// <remarks>Completes synchronously, without allocating, when a permit is free. FIFO.</remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled; no permit was taken.</exception>
    public ValueTask<Releaser> AcquireAsync(CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.IsCancellationRequested && TryTakeFast())
        {
            return new ValueTask<Releaser>(new Releaser(this));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<Releaser>(cancellationToken);
        }

        var waiter = Enqueue(cancellationToken, out var task);
        return waiter is null ? new ValueTask<Releaser>(new Releaser(this)) : task;
    }

    /// <summary>Takes a permit if one is free right now; never waits.</summary>
    /// <returns>Whether a permit was taken.</returns>
    public bool TryWait() => TryTakeFast();

    /// <summary>Takes a permit if one is free right now and returns its releaser; never waits.</summary>
    /// <param name="releaser">When this returns <see langword="true"/>, the releaser holding the permit.</param>
    /// <returns>Whether a permit was taken.</returns>
    public bool TryAcquire(out Releaser releaser)
    {
        var taken = TryTakeFast();
        releaser = taken ? new Releaser(this) : default;
        return taken;
    }

    /// <summary>Gives back <paramref name="releaseCount"/> permits, handing them to the oldest waiters first.</summary>
    /// <param name="releaseCount">How many permits (1 or more).</param>
    /// <remarks>Never waits and never runs a waiter's continuation inline.</remarks>
    /// <exception cref="SemaphoreFullException">More than <see cref="MaxCount"/> permits would be free.</exception>
    public void Release(int releaseCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(releaseCount, 1);
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state < 0)
            {
                break;
            }

            if (releaseCount > MaxCount - state)
            {
                throw new SemaphoreFullException();
            }

            if (Interlocked.CompareExchange(ref _state, state + releaseCount, state) == state)
            {
                return;
            }
        }

        ReleaseSlow(releaseCount);
    }

    /// <summary>A consistent snapshot of the semaphore's state and counters. Completes synchronously.</summary>
    /// <returns>The statistics.</returns>
    public AsyncSemaphoreStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new AsyncSemaphoreStatistics(CurrentCount, MaxCount, _waiters.Count, _contentions, _cancellations);
        }
    }

    private bool TryTakeFast()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, state - 1, state) == state)
            {
                return true;
            }
        }
    }

    private void ReleaseSlow(int releaseCount)
    {
        if (releaseCount > MaxCount)
        {
            // Checked before any hand-off, so that a throw never strands a dequeued waiter.
            throw new SemaphoreFullException();
        }

        var ready = default(WaiterList<Releaser>);
        var cancelled = default(WaiterList<Releaser>);
        lock (_gate)
        {
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if (state >= 0)
                {
                    // The queue emptied (cancellations) since the fast path looked.
                    if (releaseCount > MaxCount - state)
                    {
                        throw new SemaphoreFullException();
                    }

                    if (Interlocked.CompareExchange(ref _state, state + releaseCount, state) == state)
                    {
                        return;
                    }

                    continue;
                }

                // Waiters whose token already fired are passed over: the permit goes to the next one.
                while (releaseCount > 0 && _waiters.DequeueLive(ref cancelled) is { } waiter)
                {
                    ready.Add(waiter);
                    releaseCount--;
                }

                _cancellations += cancelled.Count;
                if (_waiters.IsEmpty)
                {
                    Volatile.Write(ref _state, releaseCount);
                }

                break;
            }
        }

        if (cancelled.Count > 0)
        {
            WaiterEvents.Cancelled(Id, nameof(AsyncSemaphore), cancelled.Count);
            cancelled.SetCanceled();
        }

        WaiterEvents.Released(Id, nameof(AsyncSemaphore), ready.Count);
        ready.SetResults(new Releaser(this));
    }

    // Takes a permit under the gate (returns null), or queues a waiter and returns it with its task.
    private Waiter<Releaser>? Enqueue(CancellationToken cancellationToken, out ValueTask<Releaser> task)
    {
        Waiter<Releaser> queued;
        lock (_gate)
        {
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if (state > 0)
                {
                    if (Interlocked.CompareExchange(ref _state, state - 1, state) == state)
                    {
                        task = default;
                        return null;
                    }
                }
                else if (state == Contended || Interlocked.CompareExchange(ref _state, Contended, 0) == 0)
                {
                    break;
                }
            }

            queued = _pool.Rent();
            queued.Token = cancellationToken;
            _waiters.Enqueue(queued);
            _contentions++;
            task = queued.Task;
        }

        WaiterEvents.Queued(Id, nameof(AsyncSemaphore), queued);
        queued.Arm(this, cancellationToken);
        return queued;
    }

    void IWaiterOwner<Releaser>.OnWaiterCancellationRequested(Waiter<Releaser> waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_waiters.Remove(waiter))
            {
                return;
            }

            _cancellations++;
            if (_waiters.IsEmpty)
            {
                Volatile.Write(ref _state, 0);
            }
        }

        WaiterEvents.Cancelled(Id, nameof(AsyncSemaphore));
        waiter.SetCanceled(cancellationToken);
    }

    /// <summary>Holds one permit until disposed. Dispose it exactly once; a default releaser does nothing.</summary>
    public readonly struct Releaser : IDisposable
    {
        private readonly AsyncSemaphore? _owner;

        internal Releaser(AsyncSemaphore owner) => _owner = owner;

        /// <summary>The semaphore this releaser holds a permit of (read by the task tree, docs/design.md rule 125).</summary>
        internal AsyncSemaphore? Owner => _owner;

        /// <summary>Gives the permit back (to the oldest waiter if any). Never runs a waiter inline.</summary>
        public void Dispose() => _owner?.Release();
    }
}
