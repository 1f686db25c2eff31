namespace Braid.Coordination;

/// <summary>A snapshot of an <see cref="AsyncLock"/>.</summary>
/// <param name="IsLocked">Whether the lock was held.</param>
/// <param name="WaitingCount">How many waiters were queued.</param>
/// <param name="Contentions">How many acquisitions had to queue, since creation.</param>
/// <param name="Cancellations">How many queued waiters were cancelled (and took nothing), since creation.</param>
public readonly record struct AsyncLockStatistics(bool IsLocked, int WaitingCount, long Contentions, long Cancellations);
