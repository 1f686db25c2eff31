namespace Braid.Pipelines;

/// <summary>One failure of a pipeline run: which stage, and what it threw.</summary>
/// <param name="Stage">The stage's name (<c>source</c> and <c>sink</c> for the two ends).</param>
/// <param name="Exception">The exception, as thrown.</param>
public sealed record StageFailure(string Stage, Exception Exception);
