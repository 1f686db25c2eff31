namespace Braid.Load;

/// <summary>One slice of the measured run: what completed during it (by completion time) and its latency (corrected, in the open model).</summary>
/// <param name="StartS">The slice's start, in seconds since measuring began.</param>
/// <param name="Completed">Requests (SSE: events) that completed in the slice, failed ones included.</param>
/// <param name="Errors">Requests that failed in the slice.</param>
/// <param name="P50Ms">Median latency of the slice's requests (SSE: event lag).</param>
/// <param name="P99Ms">99th percentile latency of the slice's requests.</param>
/// <param name="MaxMs">Largest latency in the slice.</param>
public sealed record TimelinePoint(double StartS, long Completed, long Errors, double P50Ms, double P99Ms, double MaxMs);
