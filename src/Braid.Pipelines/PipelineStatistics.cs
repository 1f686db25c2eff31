namespace Braid.Pipelines;

/// <summary>A snapshot of a pipeline run: one entry per stage, source first, plus the run's totals.</summary>
/// <param name="Stages">The stages in order, the source first.</param>
/// <param name="DeadLetters">Items sent to the dead letters so far.</param>
/// <param name="Failures">Failures recorded so far (fail-fast runs stop at the first).</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="Completed">Whether every stage has stopped.</param>
public sealed record PipelineStatistics(
    IReadOnlyList<StageStatistics> Stages,
    long DeadLetters,
    int Failures,
    TimeSpan Elapsed,
    bool Completed);
