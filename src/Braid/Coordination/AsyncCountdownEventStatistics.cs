namespace Braid.Coordination;

/// <summary>A snapshot of an <see cref="AsyncCountdownEvent"/>.</summary>
/// <param name="InitialCount">The count the event was created with.</param>
/// <param name="CurrentCount">The remaining count.</param>
/// <param name="WaitingCount">How many waiters were queued.</param>
/// <param name="Cancellations">How many queued waiters were cancelled, since creation.</param>
public readonly record struct AsyncCountdownEventStatistics(int InitialCount, int CurrentCount, int WaitingCount, long Cancellations);
