namespace Braid.Coordination;

/// <summary>A snapshot of a <see cref="CapacityLimiter"/>.</summary>
/// <param name="TotalTokens">How many tokens may be borrowed at once.</param>
/// <param name="BorrowedTokens">How many tokens were borrowed (may exceed the total just after lowering it).</param>
/// <param name="NamedBorrowers">How many of the borrowed tokens were lent on behalf of a named borrower.</param>
/// <param name="WaitingCount">How many waiters were queued.</param>
/// <param name="Contentions">How many acquisitions had to queue, since creation.</param>
/// <param name="Cancellations">How many queued waiters were cancelled (and borrowed nothing), since creation.</param>
public readonly record struct CapacityLimiterStatistics(int TotalTokens, int BorrowedTokens, int NamedBorrowers, int WaitingCount, long Contentions, long Cancellations);
