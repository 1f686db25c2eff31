namespace Braid.Coordination;

/// <summary>A snapshot of an <see cref="AsyncEvent"/>.</summary>
/// <param name="IsSet">Whether the event was set.</param>
/// <param name="WaitingCount">How many waiters were queued.</param>
/// <param name="SetCount">How many times the event went from clear to set, since creation.</param>
/// <param name="Cancellations">How many queued waiters were cancelled, since creation.</param>
public readonly record struct AsyncEventStatistics(bool IsSet, int WaitingCount, long SetCount, long Cancellations);
