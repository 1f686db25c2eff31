namespace Braid.Structured;

/// <summary>
/// A snapshot of a <see cref="TaskGroup"/>'s children (the body is not counted). Taken without a lock:
/// while children start and finish concurrently the counters may be a moment apart; once the group has
/// finished they are exact and <c>Running</c> is zero.
/// </summary>
/// <param name="Running">Children started and not yet finished.</param>
/// <param name="Completed">Children that ran to completion.</param>
/// <param name="Faulted">Children that failed (their failures are in the group's exception).</param>
/// <param name="Cancelled">Children that ended in cancellation while the group was cancelled.</param>
/// <param name="IsCancellationRequested">Whether the group's token has been cancelled.</param>
/// <param name="IsFinished">Whether the group has finished: every child and the body are done.</param>
public readonly record struct TaskGroupStatistics(
    int Running,
    int Completed,
    int Faulted,
    int Cancelled,
    bool IsCancellationRequested,
    bool IsFinished)
{
    /// <summary>All children ever started: running plus finished.</summary>
    public int Started => Running + Completed + Faulted + Cancelled;
}
