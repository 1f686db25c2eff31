using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Coordination;

/// <summary>
/// A mutual-exclusion lock for asynchronous code: <c>using (await gate.LockAsync(ct)) { ... }</c>.
/// At most one holder at a time; waiters are served first-come, first-served.
/// </summary>
/// <remarks>
/// <para><b>Fairness.</b> Waiters are queued in arrival order. Releasing hands the lock directly to the
/// oldest waiter (the lock never becomes free in between, so a newcomer cannot barge), and the waiter's
/// continuation is never run inline on the releasing thread.</para>
/// <para><b>Cancellation.</b> A wait that ends in cancellation did not take the lock. If the release and
/// the cancellation race, exactly one wins: either the waiter gets the lock (and the wait succeeds), or it
/// leaves the queue and the lock goes to the next waiter. A release that finds the waiter's token already
/// cancelled passes it over, even if its cancellation callback has not run yet.</para>
/// <para><b>Cost.</b> An uncontended acquire and release is two interlocked operations and allocates
/// nothing; a queued waiter uses one pooled node.</para>
/// <para>The lock is not re-entrant and not bound to a thread: whoever holds the <see cref="Releaser"/>
/// releases it by disposing it, exactly once.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncLock : IWaiterOwner<AsyncLock.Releaser>
{
    private const int Free = 0;
    private const int Held = 1;
    private const int HeldWithWaiters = 2;

    private readonly Lock _gate = new();
    private readonly WaiterQueue<Releaser> _waiters = new();
    private readonly WaiterPool<Releaser> _pool = new();
    private int _state;
    private long _contentions;
    private long _cancellations;

    /// <summary>The stable, process-wide unique id of this lock.</summary>
    public long Id { get; } = IdGenerator.Next();

    /// <summary>Whether someone holds the lock right now (a snapshot: it may change at once).</summary>
    public bool IsLocked => Volatile.Read(ref _state) != Free;

    private string DebuggerDisplay => $"AsyncLock #{Id}: {(IsLocked ? "locked" : "free")}, {_waiters.Count} waiting";

    /// <summary>
    /// Takes the lock, waiting for it if it is held. Dispose the returned <see cref="Releaser"/> to release it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait did not take the lock.</param>
    /// <returns>A releaser that releases the lock when disposed.</returns>
    /// <remarks>
    /// Completes synchronously, without allocating, when the lock is free and nobody waits. If
    /// <paramref name="cancellationToken"/> is already cancelled the result is cancelled even when the lock
    /// is free. Otherwise the caller queues behind earlier waiters (FIFO).
    /// </remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled; the lock was not taken.</exception>
    public ValueTask<Releaser> LockAsync(CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.IsCancellationRequested && Interlocked.CompareExchange(ref _state, Held, Free) == Free)
        {
            return new ValueTask<Releaser>(new Releaser(this));
        }

        return LockSlowAsync(cancellationToken);
    }

    /// <summary>Takes the lock if it is free right now; never waits.</summary>
    /// <param name="releaser">When this returns <see langword="true"/>, the releaser to dispose.</param>
    /// <returns>Whether the lock was taken.</returns>
    /// <remarks>Fails when the lock is held, including when it is being handed to a queued waiter.</remarks>
    public bool TryLock(out Releaser releaser)
    {
        if (Interlocked.CompareExchange(ref _state, Held, Free) == Free)
        {
            releaser = new Releaser(this);
            return true;
        }

        releaser = default;
        return false;
    }

    /// <summary>A consistent snapshot of the lock's state and counters. Completes synchronously.</summary>
    /// <returns>The statistics.</returns>
    public AsyncLockStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new AsyncLockStatistics(IsLocked, _waiters.Count, _contentions, _cancellations);
        }
    }

    /// <summary>Releases the lock; hands it to the oldest waiter if there is one.</summary>
    internal void Release()
    {
        if (Interlocked.CompareExchange(ref _state, Free, Held) != Held)
        {
            ReleaseSlow();
        }
    }

    private void ReleaseSlow()
    {
        Waiter<Releaser>? next;
        var cancelled = default(WaiterList<Releaser>);
        lock (_gate)
        {
            switch (Volatile.Read(ref _state))
            {
                case Free:
                    throw new InvalidOperationException("The lock is not held: a releaser was disposed twice, or the lock was released by someone else.");
                case Held:
                    // The last waiter was cancelled between our fast-path attempt and taking the gate.
                    Volatile.Write(ref _state, Free);
                    return;
            }

            // Waiters whose token already fired are passed over (their callbacks find them gone).
            next = _waiters.DequeueLive(ref cancelled);
            _cancellations += cancelled.Count;
            if (next is null)
            {
                Volatile.Write(ref _state, Free);
            }
            else if (_waiters.IsEmpty)
            {
                // The lock stays held: it now belongs to the waiter we dequeued.
                Volatile.Write(ref _state, Held);
            }
        }

        if (cancelled.Count > 0)
        {
            WaiterEvents.Cancelled(Id, nameof(AsyncLock), cancelled.Count);
            cancelled.SetCanceled();
        }

        if (next is not null)
        {
            WaiterEvents.Released(Id, nameof(AsyncLock));
            next.SetResult(new Releaser(this));
        }
    }

    /// <summary>
    /// Queues a node that another primitive owns (a notified <see cref="AsyncCondition"/> waiter) for the
    /// lock, behind the current waiters; it is completed with the lock when its turn comes. The node's owner
    /// stays responsible for its cancellation, so once transferred the wait is not cancellable: its token is
    /// cleared, so a release never passes it over.
    /// </summary>
    internal void EnqueueTransferred(Waiter<Releaser> waiter)
    {
        lock (_gate)
        {
            waiter.Token = default;
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if (state == Free)
                {
                    if (Interlocked.CompareExchange(ref _state, Held, Free) == Free)
                    {
                        break;
                    }
                }
                else if (state == HeldWithWaiters || Interlocked.CompareExchange(ref _state, HeldWithWaiters, Held) == Held)
                {
                    _waiters.Enqueue(waiter);
                    return;
                }
            }
        }

        // The lock was free (the notifier did not hold it after all): the waiter takes it at once.
        waiter.SetResult(new Releaser(this));
    }

    private ValueTask<Releaser> LockSlowAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<Releaser>(cancellationToken);
        }

        Waiter<Releaser> waiter;
        ValueTask<Releaser> task;
        lock (_gate)
        {
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if (state == Free)
                {
                    if (Interlocked.CompareExchange(ref _state, Held, Free) == Free)
                    {
                        return new ValueTask<Releaser>(new Releaser(this));
                    }
                }
                else if (state == HeldWithWaiters || Interlocked.CompareExchange(ref _state, HeldWithWaiters, Held) == Held)
                {
                    break;
                }
            }

            waiter = _pool.Rent();
            waiter.Token = cancellationToken;
            _waiters.Enqueue(waiter);
            _contentions++;
            task = waiter.Task;
        }

        WaiterEvents.Queued(Id, nameof(AsyncLock), waiter);
        waiter.Arm(this, cancellationToken);
        return task;
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
                // Only code under the gate moves the state away from HeldWithWaiters.
                Volatile.Write(ref _state, Held);
            }
        }

        WaiterEvents.Cancelled(Id, nameof(AsyncLock));
        waiter.SetCanceled(cancellationToken);
    }

    /// <summary>Holds the lock until disposed. Dispose it exactly once; a default releaser does nothing.</summary>
    public readonly struct Releaser : IDisposable
    {
        private readonly AsyncLock? _owner;

        internal Releaser(AsyncLock owner) => _owner = owner;

        /// <summary>The lock this releaser holds (read by the task tree to find holders, docs/design.md rule 125).</summary>
        internal AsyncLock? Owner => _owner;

        /// <summary>Releases the lock, handing it to the oldest waiter if any. Never runs a waiter inline.</summary>
        public void Dispose() => _owner?.Release();
    }
}
