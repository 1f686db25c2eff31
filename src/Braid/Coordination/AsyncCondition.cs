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
/// racing the cancellation goes to the next waiter), and it still takes the lock back before throwing: the
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
    /// <see cref="WaitForAsync"/>. A suspended wait allocates its state machine.
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

        var woken = default(WaiterList<AsyncLock.Releaser>);
        lock (_gate)
        {
            while (woken.Count < count && _waiters.Dequeue() is { } waiter)
            {
                woken.Add(waiter);
            }

            _notified += woken.Count;
        }

        // Move the woken waiters, in order, straight into the lock's queue: they retake the lock in the
        // order they were notified, behind whoever already waits for it, and a notified wait can no
        // longer be cancelled (it only waits for the lock now).
        var transferred = woken.Count;
        while (woken.TakeFirst() is { } waiter)
        {
            Lock.EnqueueTransferred(waiter);
        }

        WaiterEvents.Released(Id, nameof(AsyncCondition), transferred);
        return transferred;
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

    private async ValueTask WaitCoreAsync(CancellationToken cancellationToken)
    {
        Waiter<AsyncLock.Releaser> waiter;
        ValueTask<AsyncLock.Releaser> task;
        lock (_gate)
        {
            waiter = _pool.Rent();
            _waiters.Enqueue(waiter);
            task = waiter.Task;
        }

        // Queued first, released second: a notification sent by the next holder finds us.
        Lock.Release();
        WaiterEvents.Queued(Id, nameof(AsyncCondition));
        waiter.Arm(this, cancellationToken);

        try
        {
            // Completes once notified *and* handed the lock through the lock's own FIFO queue.
            _ = await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Cancelled before any notification: retake the lock (not cancellable) so the caller's
            // releaser stays valid, then report the cancellation.
            _ = await Lock.LockAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async ValueTask WaitForCoreAsync(Func<bool> predicate, CancellationToken cancellationToken)
    {
        do
        {
            await WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        while (!predicate());
    }

    void IWaiterOwner<AsyncLock.Releaser>.OnWaiterCancellationRequested(Waiter<AsyncLock.Releaser> waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_waiters.Remove(waiter))
            {
                return;
            }

            _cancellations++;
        }

        WaiterEvents.Cancelled(Id, nameof(AsyncCondition));
        waiter.SetCanceled(cancellationToken);
    }
}
