namespace Braid.Load;

/// <summary>A progress report, called about once per <see cref="LoadOptions.ProgressInterval"/>.</summary>
/// <param name="Elapsed">Time since the run started (warm-up included).</param>
/// <param name="WarmingUp">Whether the run is still in its warm-up.</param>
/// <param name="Completed">Measured requests (or SSE events) completed so far.</param>
/// <param name="Errors">Measured requests failed so far (SSE: client failures).</param>
/// <param name="Dropped">Open model: sends dropped so far because the backlog was full.</param>
/// <param name="InFlight">Requests in flight now (SSE: clients connected now).</param>
/// <param name="PerSecond">Completions a second over the last interval.</param>
public readonly record struct LoadProgress(TimeSpan Elapsed, bool WarmingUp, long Completed, long Errors, long Dropped, int InFlight, double PerSecond);
