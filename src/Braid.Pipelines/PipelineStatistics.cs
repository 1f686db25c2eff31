namespace Braid.Pipelines;

/// <summary>A snapshot of a pipeline run: one entry per stage, source first, plus the run's totals.</summary>
/// <param name="Stages">The stages in order, the source first.</param>
/// <param name="DeadLetters">Items sent to the dead letters so far.</param>
/// <param name="Failures">Failures recorded so far (fail-fast runs stop at the first).</param>
/// <param name="Elapsed">Time since the run started; in the final snapshot, the run's duration (it stops when the run completes).</param>
/// <param name="Completed">Whether the run has completed: every stage has stopped. The final snapshot is the only one that says so, and it never changes.</param>
public sealed record PipelineStatistics(
    IReadOnlyList<StageStatistics> Stages,
    long DeadLetters,
    int Failures,
    TimeSpan Elapsed,
    bool Completed);
