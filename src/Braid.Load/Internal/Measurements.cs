using System.Collections.Concurrent;
using HdrHistogram;

namespace Braid.Load.Internal;

/// <summary>Everything a run counts, safe to record from every connection at once.</summary>
internal sealed class Measurements
{
    /// <summary>The largest latency recorded, in microseconds (one hour); larger values are clamped to it.</summary>
    public const long HighestUs = 3_600_000_000;

    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly double _ticksPerUs;
    private long _sent;
    private long _warmupSent;
    private long _completed;
    private long _ok;
    private long _failed;
    private long _dropped;
    private long _late;
    private long _lastCompletion;
    private int _inFlight;

    public Measurements(TimeProvider clock, long measureStart, long sliceTicks)
    {
        _ticksPerUs = clock.TimestampFrequency / 1_000_000.0;
        MeasureStart = measureStart;
        _lastCompletion = measureStart;
        Timeline = new Timeline(measureStart, sliceTicks, clock.TimestampFrequency);
    }

    public long MeasureStart { get; }

    public LongConcurrentHistogram Corrected { get; } = new(1, HighestUs, 3);

    public LongConcurrentHistogram Uncorrected { get; } = new(1, HighestUs, 3);

    public LongConcurrentHistogram StartLag { get; } = new(1, HighestUs, 3);

    public Timeline Timeline { get; }

    public long Sent => Volatile.Read(ref _sent);

    public long WarmupSent => Volatile.Read(ref _warmupSent);

    public long Completed => Volatile.Read(ref _completed);

    public long Ok => Volatile.Read(ref _ok);

    public long Failed => Volatile.Read(ref _failed);

    public long Dropped => Volatile.Read(ref _dropped);

    public long Late => Volatile.Read(ref _late);

    public int InFlight => Volatile.Read(ref _inFlight);

    public long LastCompletion => Volatile.Read(ref _lastCompletion);

    public IReadOnlyDictionary<string, long> Errors => new SortedDictionary<string, long>(_errors, StringComparer.Ordinal);

    public void Sending(bool measured)
    {
        Interlocked.Increment(ref measured ? ref _sent : ref _warmupSent);
        Interlocked.Increment(ref _inFlight);
    }

    public void Ended() => Interlocked.Decrement(ref _inFlight);

    public void Drop() => Interlocked.Increment(ref _dropped);

    /// <summary>Open model: the scheduler handed a send over <paramref name="lagTicks"/> after its intended time.</summary>
    public void Scheduled(long lagTicks, bool late)
    {
        StartLag.RecordValue(Math.Clamp(ToUs(lagTicks), 1, HighestUs));
        if (late)
        {
            Interlocked.Increment(ref _late);
        }
    }

    /// <summary>Records a measured request that ended at <paramref name="end"/>; <paramref name="error"/> is its kind when it failed.</summary>
    public void Complete(long intended, long started, long end, string? error)
    {
        var corrected = Math.Clamp(ToUs(end - intended), 1, HighestUs);
        Corrected.RecordValue(corrected);
        Uncorrected.RecordValue(Math.Clamp(ToUs(end - started), 1, HighestUs));
        Interlocked.Increment(ref _completed);
        if (error is null)
        {
            Interlocked.Increment(ref _ok);
        }
        else
        {
            Interlocked.Increment(ref _failed);
            _errors.AddOrUpdate(error, 1, static (_, n) => n + 1);
        }

        Timeline.Record(end, corrected, error is not null);
        long last;
        while (end > (last = Volatile.Read(ref _lastCompletion)) && Interlocked.CompareExchange(ref _lastCompletion, end, last) != last)
        {
        }
    }

    /// <summary>Counts a failure that has no latency (an SSE client that could not connect).</summary>
    public void Fail(string error)
    {
        Interlocked.Increment(ref _failed);
        _errors.AddOrUpdate(error, 1, static (_, n) => n + 1);
    }

    public long ToUs(long ticks) => (long)(ticks / _ticksPerUs);

    public static LatencyPercentiles? Percentiles(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return null;
        }

        return new LatencyPercentiles(
            histogram.TotalCount,
            Math.Round(histogram.GetMean() / 1000.0, 3),
            histogram.GetValueAtPercentile(50) / 1000.0,
            histogram.GetValueAtPercentile(90) / 1000.0,
            histogram.GetValueAtPercentile(99) / 1000.0,
            histogram.GetValueAtPercentile(99.9) / 1000.0,
            histogram.GetMaxValue() / 1000.0);
    }
}
