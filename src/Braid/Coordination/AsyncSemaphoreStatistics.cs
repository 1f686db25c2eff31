namespace Braid.Coordination;

/// <summary>A snapshot of an <see cref="AsyncSemaphore"/>.</summary>
/// <param name="CurrentCount">Free permits.</param>
/// <param name="MaxCount">The most permits that may be free at once.</param>
/// <param name="WaitingCount">How many waiters were queued.</param>
/// <param name="Contentions">How many waits had to queue, since creation.</param>
/// <param name="Cancellations">How many queued waiters were cancelled (and took nothing), since creation.</param>
public readonly record struct AsyncSemaphoreStatistics(int CurrentCount, int MaxCount, int WaitingCount, long Contentions, long Cancellations);
