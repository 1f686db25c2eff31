namespace Braid.Internal.Waiters;

/// <summary>What a <see cref="Waiter{T}"/> calls back when its cancellation token fires.</summary>
/// <typeparam name="T">The waiter's result type.</typeparam>
internal interface IWaiterOwner<T>
{
    /// <summary>
    /// Called on the cancelling thread, never under the owner's lock. The owner takes its lock; if
    /// <paramref name="waiter"/> is still queued it removes it, repairs its own state (a removed writer
    /// may let readers in), and after leaving the lock calls <see cref="Waiter{T}.SetCanceled"/>. If the
    /// waiter is no longer queued it was already handed its result, and the callback does nothing.
    /// </summary>
    void OnWaiterCancellationRequested(Waiter<T> waiter, CancellationToken cancellationToken);
}
