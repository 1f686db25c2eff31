namespace Braid.Load;

/// <summary>Percentiles of a latency histogram (HdrHistogram, microsecond resolution, 3 significant digits), in milliseconds.</summary>
/// <param name="Count">Values recorded.</param>
/// <param name="MeanMs">The mean.</param>
/// <param name="P50Ms">The median.</param>
/// <param name="P90Ms">The 90th percentile.</param>
/// <param name="P99Ms">The 99th percentile.</param>
/// <param name="P999Ms">The 99.9th percentile.</param>
/// <param name="MaxMs">The largest value.</param>
public sealed record LatencyPercentiles(long Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs);
