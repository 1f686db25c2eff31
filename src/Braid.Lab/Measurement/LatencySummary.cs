using HdrHistogram;

namespace Braid.Lab.Measurement;

/// <summary>Per-task latency percentiles, from an HdrHistogram recorded in microseconds (3 significant digits).</summary>
internal readonly record struct LatencySummary(double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    public static LatencySummary From(IEnumerable<double> latenciesMs)
    {
        var histogram = new LongHistogram(TimeSpan.TicksPerHour / 10, 3);
        var any = false;
        foreach (var ms in latenciesMs)
        {
            histogram.RecordValue(Math.Max(0, (long)Math.Round(ms * 1000)));
            any = true;
        }

        if (!any)
        {
            return default;
        }

        return new LatencySummary(
            histogram.GetValueAtPercentile(50) / 1000.0,
            histogram.GetValueAtPercentile(95) / 1000.0,
            histogram.GetValueAtPercentile(99) / 1000.0,
            histogram.GetMaxValue() / 1000.0);
    }
}
