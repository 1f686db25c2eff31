namespace Braid.Pipelines;

/// <summary>Options of a whole pipeline: error policy, time, transfer batching, output buffer, progress and dead letters.</summary>
public sealed record PipelineOptions
{
    /// <summary>The default options.</summary>
    public static PipelineOptions Default { get; } = new();

    /// <summary>The pipeline's name in traces and metrics (default <c>pipeline</c>).</summary>
    public string Name { get; init; } = "pipeline";

    /// <summary>Fail fast (default) or continue with dead letters; a stage may override it.</summary>
    public ErrorPolicy ErrorPolicy { get; init; } = ErrorPolicy.FailFast;

    /// <summary>The clock for batching and grouping deadlines, rate limits, retry backoff and statistics (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The most items moved between two stages in one transfer (default 256). Stages move arrays of
    /// items through their buffers and hand them to the functions one by one; a worker sends what
    /// it has as soon as its input runs dry, and a synchronous source or a stage's only worker sends
    /// slow items in smaller transfers of about a millisecond of work (at least 16 items), so batching does not
    /// hold results back. At least 1.
    /// </summary>
    public int TransferBatchSize { get; init; } = 256;

    /// <summary>The buffer between the last stage and the consumer, in items (default 1024). At least 1.</summary>
    public int OutputCapacity { get; init; } = 1024;

    /// <summary>
    /// Called with each dead letter, synchronously on the worker that failed; must be fast and must
    /// not throw (an exception from it fails the run). When <see langword="null"/>, dead letters are
    /// kept in <see cref="PipelineRun{T}.DeadLetters"/>.
    /// </summary>
    public Action<DeadLetter>? OnDeadLetter { get; init; }

    /// <summary>
    /// Called every <see cref="ProgressInterval"/> with a statistics snapshot, on a timer thread of
    /// <see cref="TimeProvider"/>, and once more when the run ends, after every other call has returned,
    /// with the final snapshot (<see cref="PipelineStatistics.Completed"/>): the very object that
    /// <c>RunAsync</c> returns and <see cref="PipelineRun{T}.GetStatistics"/> answers from then on, so a
    /// progress display and a summary show the same counts and the same elapsed time. Calls never
    /// overlap. Must be fast and must not throw; its exceptions are discarded (design rule 71).
    /// </summary>
    /// <remarks>
    /// Counters move once per transferred batch (<see cref="TransferBatchSize"/>), so a display that
    /// wants to move more smoothly asks for a shorter <see cref="ProgressInterval"/> rather than
    /// listening to <see cref="PipelineTelemetry"/>'s meter, which is meant for dotnet-counters and
    /// OpenTelemetry.
    /// </remarks>
    public Action<PipelineStatistics>? OnProgress { get; init; }

    /// <summary>How often <see cref="OnProgress"/> is called (default 1 s), on <see cref="TimeProvider"/>. Greater than zero.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(TransferBatchSize, 1, nameof(TransferBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(OutputCapacity, 1, nameof(OutputCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ProgressInterval, TimeSpan.Zero, nameof(ProgressInterval));
    }
}
