using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Coordination;

/// <summary>
/// A condition variable bound to an <see cref="AsyncLock"/>, like asyncio's <c>Condition</c>: while holding
/// the lock, <see cref="WaitAsync"/> releases it, waits for a notification and takes the lock back;
/// <see cref="Notify"/> and <see cref="NotifyAll"/> wake waiters.
/// </summary>
/// <remarks>
/// <para><b>Fairness.</b> Notifications wake the oldest waiters first and move them, in that order, straight
/// into the lock's FIFO queue behind whoever already waits for it; they retake the lock in notification
/// order once the notifier releases it. Continuations never run inline on the notifying thread.</para>
/// <para><b>Cancellation.</b> A cancelled <see cref="WaitAsync"/> consumed no notification (a notification
/// racing the cancellation goes to the next waiter; a notification passes over a waiter whose token already
/// fired, even before its cancellation callback ran), and it still takes the lock back before throwing: the
/// caller always leaves <see cref="WaitAsync"/> holding the lock, so its <c>using</c> block stays correct.
/// Once notified, a wait is no longer cancellable: it only waits for the lock.</para>
/// <para>The lock is not owned by a thread, so the condition can only check that the lock is held, not that
/// the caller holds it.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncCondition : IWaiterOwner<AsyncLock.Releaser>
{
    private readonly Lock _gate = new();
    private readonly WaiterQueue<AsyncLock.Releaser> _waiters = new();
    private readonly WaiterPool<AsyncLock.Releaser> _pool = new();
    private long _notified;
    private long _cancellations;

    /// <summary>Creates a condition bound to <paramref name="asyncLock"/>.</summary>
    /// <param name="asyncLock">The lock callers hold when they wait or notify.</param>
    public AsyncCondition(AsyncLock asyncLock)
    {
        ArgumentNullException.ThrowIfNull(asyncLock);
        Lock = asyncLock;
    }

    /// <summary>The stable, process-wide unique id of this condition.</summary>
    public long Id { get; } = IdGenerator.Next();

    /// <summary>The lock this condition is bound to.</summary>
    public AsyncLock Lock { get; }

    private string DebuggerDisplay => $"AsyncCondition #{Id} on lock #{Lock.Id}: {_waiters.Count} waiting";

    /// <summary>
    /// Releases the lock, waits for a notification, then takes the lock back. Call it while holding the lock.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for a notification (never the retaking of the lock).</param>
    /// <returns>A task that completes, holding the lock again, after a notification.</returns>
    /// <remarks>
    /// Never completes synchronously (unless the token is already cancelled: then it throws at once and
    /// keeps the lock). The waiter is registered before the lock is released, so a notification sent by the
    /// next holder is never lost. Spurious wake-ups do not happen, but another task may change the state
    /// between the notification and the retaking of the lock: re-check the predicate, or use
    /// <see cref="WaitForAsync"/>. A wait allocates nothing once the condition's node pool is warm.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    /// <exception cref="OperationCanceledException">The wait was cancelled; the lock is held again and no notification was consumed.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (!Lock.IsLocked)
        {
            throw new InvalidOperationException("Waiting on a condition requires holding its lock.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return WaitCoreAsync(cancellationToken);
    }

    /// <summary>Waits, holding the lock on every check, until <paramref name="predicate"/> is true. Call it while holding the lock.</summary>
    /// <param name="predicate">The condition to wait for; evaluated under the lock, first before any wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes, holding the lock, once the predicate held.</returns>
    /// <remarks>Completes synchronously when the predicate already holds.</remarks>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    /// <exception cref="OperationCanceledException">The wait was cancelled; the lock is held again.</exception>
    public ValueTask WaitForAsync(Func<bool> predicate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        if (!Lock.IsLocked)
        {
            throw new InvalidOperationException("Waiting on a condition requires holding its lock.");
        }

        return predicate() ? default : WaitForCoreAsync(predicate, cancellationToken);
    }

    /// <summary>Wakes up to <paramref name="count"/> of the oldest waiters. Call it while holding the lock.</summary>
    /// <param name="count">How many waiters to wake (1 or more).</param>
    /// <returns>How many were woken (0 when nobody waited: notifications are not remembered).</returns>
    /// <remarks>Never waits; woken waiters run after the lock is released.</remarks>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public int Notify(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (!Lock.IsLocked)
        {
            throw new InvalidOperationException("Notifying a condition requires holding its lock.");
        }

        // Both the woken waiters and those passed over (their token already fired, their callback may be
        // waiting for the gate) leave the condition, in queue order; the latter consume no notification.
        var leaving = default(WaiterList<AsyncLock.Releaser>);
        var notified = 0;
        var cancelled = 0;
        lock (_gate)
        {
            while (notified < count && _waiters.Dequeue() is { } waiter)
            {
                if (waiter.Token.IsCancellationRequested)
                {
                    // What the callback would do: the waiter retakes the lock, then reports its cancellation.
                    waiter.FailOnResult(new OperationCanceledException(waiter.Token));
                    cancelled++;
                }
                else
                {
                    notified++;
                }

                leaving.Add(waiter);
            }

            _notified += notified;
            _cancellations += cancelled;
        }

        // Move them, in order, straight into the lock's queue: they retake the lock in the order they
        // were notified, behind whoever already waits for it, and a notified wait can no longer be
        // cancelled (it only waits for the lock now).
        while (leaving.TakeFirst() is { } waiter)
        {
            Lock.EnqueueTransferred(waiter);
        }

        WaiterEvents.Cancelled(Id, nameof(AsyncCondition), cancelled);
        WaiterEvents.Released(Id, nameof(AsyncCondition), notified);
        return notified;
    }

    /// <summary>Wakes every waiter. Call it while holding the lock.</summary>
    /// <returns>How many were woken.</returns>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public int NotifyAll() => Notify(int.MaxValue);

    /// <summary>A consistent snapshot of the condition. Completes synchronously.</summary>
    /// <returns>The statistics.</returns>
    public AsyncConditionStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new AsyncConditionStatistics(_waiters.Count, _notified, _cancellations);
        }
    }

    private ValueTask WaitCoreAsync(CancellationToken cancellationToken)
    {
        Waiter<AsyncLock.Releaser> waiter;
        ValueTask task;
        lock (_gate)
        {
            waiter = _pool.Rent();
            waiter.Token = cancellationToken;
            _waiters.Enqueue(waiter);
            task = waiter.VoidTask;
        }

        // Queued first, released second: a notification sent by the next holder finds us.
        Lock.Release();
        WaiterEvents.Queued(Id, nameof(AsyncCondition), waiter);
        waiter.Arm(this, cancellationToken);

        // Completes once notified (or cancelled) *and* handed the lock through the lock's FIFO queue:
        // no state machine, the pooled node is the whole wait.
        return task;
    }

    private async ValueTask WaitForCoreAsync(Func<bool> predicate, CancellationToken cancellationToken)
    {
        do
        {
            // The predicate is the caller's code: it runs in the caller's context, on the loop when the caller
            // is on one, never on a pool thread the loop cannot see (design rule 104).
            await WaitAsync(cancellationToken).ConfigureAwait(true);
        }
        while (!predicate());
    }

    void IWaiterOwner<AsyncLock.Releaser>.OnWaiterCancellationRequested(Waiter<AsyncLock.Releaser> waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_waiters.Remove(waiter))
            {
                return; // already notified: the wait now only retakes the lock, which is not cancellable
            }

            _cancellations++;
        }

        WaiterEvents.Cancelled(Id, nameof(AsyncCondition));

        // The caller must hold the lock again before it sees the cancellation: queue the node for the lock
        // (not cancellable), primed to fail with the cancellation once the lock is handed to it.
        waiter.FailOnResult(new OperationCanceledException(cancellationToken));
        Lock.EnqueueTransferred(waiter);
    }
}
