namespace Braid.Coordination;

/// <summary>A snapshot of an <see cref="AsyncCondition"/>.</summary>
/// <param name="WaitingCount">How many tasks waited for a notification.</param>
/// <param name="Notified">How many waiters were woken by a notification, since creation.</param>
/// <param name="Cancellations">How many waits were cancelled before being notified, since creation.</param>
public readonly record struct AsyncConditionStatistics(int WaitingCount, long Notified, long Cancellations);
