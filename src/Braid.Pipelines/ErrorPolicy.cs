namespace Braid.Pipelines;

/// <summary>What a pipeline does when a stage's function fails on an item (after its retries).</summary>
public enum ErrorPolicy
{
    /// <summary>
    /// The default: the first failure cancels every stage, upstream and downstream, and the run
    /// throws a <see cref="PipelineException"/> holding every failure, in the order they happened.
    /// </summary>
    FailFast,

    /// <summary>
    /// The item that failed goes to the dead letters (<see cref="PipelineOptions.OnDeadLetter"/>,
    /// <see cref="PipelineRun{T}.DeadLetters"/>) and the pipeline continues with the next item.
    /// </summary>
    ContinueWithDeadLetters,
}
