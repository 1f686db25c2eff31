namespace Braid.Pipelines;

/// <summary>
/// A token-bucket rate limit shared by all workers of a stage: at most <see cref="Permits"/> items
/// start per <see cref="Period"/>, with bursts of up to <see cref="Permits"/> items. Waiting is on
/// the pipeline's <see cref="TimeProvider"/>, first come, first served.
/// </summary>
/// <param name="Permits">Items allowed per period, at least 1.</param>
/// <param name="Period">The period, greater than zero.</param>
public sealed record RateLimit(int Permits, TimeSpan Period)
{
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Permits, 1, nameof(Permits));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Period, TimeSpan.Zero, nameof(Period));
    }
}
