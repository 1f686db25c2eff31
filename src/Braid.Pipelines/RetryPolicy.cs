namespace Braid.Pipelines;

/// <summary>
/// Per-item retry with exponential backoff: an item whose function throws is tried again, up to
/// <see cref="MaxAttempts"/> attempts in all, waiting on the pipeline's <see cref="TimeProvider"/>
/// between attempts. Cancellation of the pipeline is never retried.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>Attempts in all, the first included (default 3). At least 1.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The wait before the second attempt (default 100 ms).</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The factor applied to the wait after each failed retry (default 2).</summary>
    public double BackoffFactor { get; init; } = 2.0;

    /// <summary>The longest wait between two attempts (default 10 s).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Which exceptions are retried (default: all). Others fail at once.</summary>
    public Func<Exception, bool>? ShouldRetry { get; init; }

    /// <summary>The wait before attempt number <paramref name="attempt"/> (2 for the first retry).</summary>
    /// <param name="attempt">The attempt about to be made, at least 2.</param>
    public TimeSpan DelayBefore(int attempt)
    {
        var ticks = InitialDelay.Ticks * Math.Pow(BackoffFactor, attempt - 2);
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialDelay, TimeSpan.Zero, nameof(InitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(BackoffFactor, 1.0, nameof(BackoffFactor));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, TimeSpan.Zero, nameof(MaxDelay));
    }
}
