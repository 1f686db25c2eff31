namespace Braid.Coordination;

/// <summary>A snapshot of an <see cref="AsyncAutoResetEvent"/>.</summary>
/// <param name="IsSignalled">Whether the event held a signal.</param>
/// <param name="WaitingCount">How many waiters were queued.</param>
/// <param name="HandOffs">How many signals went directly to a queued waiter, since creation.</param>
/// <param name="Cancellations">How many queued waiters were cancelled (and consumed nothing), since creation.</param>
public readonly record struct AsyncAutoResetEventStatistics(bool IsSignalled, int WaitingCount, long HandOffs, long Cancellations);
