namespace Braid.Pipelines;

/// <summary>
/// Thrown by a pipeline run that failed: holds every failure, in the order they happened
/// (<see cref="AggregateException.InnerExceptions"/> in the same order). No failure is dropped.
/// </summary>
public sealed class PipelineException : AggregateException
{
    /// <summary>Creates the exception from the run's failures, in order.</summary>
    /// <param name="failures">At least one failure.</param>
    public PipelineException(IReadOnlyList<StageFailure> failures)
        : base(Describe(failures), failures.Select(f => f.Exception))
    {
        Failures = failures;
    }

    /// <summary>Every failure with the stage it happened in, in the order they happened.</summary>
    public IReadOnlyList<StageFailure> Failures { get; }

    private static string Describe(IReadOnlyList<StageFailure> failures)
    {
        ArgumentOutOfRangeException.ThrowIfZero(failures.Count, nameof(failures));
        var first = failures[0];
        return failures.Count == 1
            ? $"The pipeline failed in stage '{first.Stage}': {first.Exception.Message}"
            : $"The pipeline failed {failures.Count} times; first in stage '{first.Stage}': {first.Exception.Message}";
    }
}
