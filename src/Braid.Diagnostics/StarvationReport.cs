namespace Braid.Diagnostics;

/// <summary>
/// A <see cref="StarvationMonitor"/>'s verdict: whether the thread pool starved, for how long, and which
/// blocking calls held its threads, as one sentence (<see cref="Verdict"/>) and as data.
/// </summary>
public sealed class StarvationReport
{
    internal StarvationReport()
    {
    }

    /// <summary>Whether a heartbeat was at least the lag threshold late (a heartbeat still waiting counts).</summary>
    public required bool Starved { get; init; }

    /// <summary>The summed lateness of the heartbeats that were at least the threshold late, including one still waiting.</summary>
    public required TimeSpan StarvedFor { get; init; }

    /// <summary>The latest any heartbeat ran (or a waiting one has waited so far).</summary>
    public required TimeSpan WorstLag { get; init; }

    /// <summary>The lag threshold the verdict used.</summary>
    public required TimeSpan LagThreshold { get; init; }

    /// <summary>How long the monitor has been running.</summary>
    public required TimeSpan Observed { get; init; }

    /// <summary>The longest thread-pool queue seen at a heartbeat.</summary>
    public required long MaxQueueLength { get; init; }

    /// <summary>The fewest thread-pool threads seen at a heartbeat.</summary>
    public required long MinThreadCount { get; init; }

    /// <summary>The most thread-pool threads seen at a heartbeat.</summary>
    public required long MaxThreadCount { get; init; }

    /// <summary>Threads the runtime added because the pool made no progress (<c>ThreadPoolWorkerThreadAdjustment</c>, reason 6 "Starvation").</summary>
    public required int ThreadsAddedForStarvation { get; init; }

    /// <summary>Threads the runtime added because pool threads blocked on tasks (reason 8 "CooperativeBlocking").</summary>
    public required int ThreadsAddedForBlocking { get; init; }

    /// <summary>The blocking call sites seen, the most blocked first, with their share of the blocked time.</summary>
    public required IReadOnlyList<BlockingCallSite> CallSites { get; init; }

    /// <summary>The latest heartbeats, oldest first.</summary>
    public required IReadOnlyList<StarvationSample> Samples { get; init; }

    /// <summary>
    /// The verdict in one sentence: "thread pool starved for 2.3 s; 87% of blocked time in Task.Wait
    /// called from OrderService.Get; …", or "thread pool not starved: …".
    /// </summary>
    public required string Verdict { get; init; }

    /// <inheritdoc />
    public override string ToString() => Verdict;
}
