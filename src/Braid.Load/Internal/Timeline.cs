using HdrHistogram;

namespace Braid.Load.Internal;

/// <summary>
/// The measured part in at most <see cref="MaxSlices"/> slices, each with its own coarse histogram
/// (one significant digit, about 6%: enough for a chart). When a run outlasts the slices, neighbours
/// merge and the slice width doubles, so memory stays bounded whatever the run's length.
/// </summary>
internal sealed class Timeline(long originTimestamp, long sliceTicks, double timestampFrequency)
{
    public const int MaxSlices = 120;

    private readonly Lock _lock = new();
    private readonly List<Slice> _slices = [];
    private long _sliceTicks = Math.Max(1, sliceTicks);

    /// <summary>Records a completion at <paramref name="timestamp"/> with its latency in microseconds.</summary>
    public void Record(long timestamp, long latencyUs, bool failed)
    {
        lock (_lock)
        {
            var index = (int)Math.Max(0, (timestamp - originTimestamp) / _sliceTicks);
            while (index >= MaxSlices)
            {
                Halve();
                index = (int)Math.Max(0, (timestamp - originTimestamp) / _sliceTicks);
            }

            while (_slices.Count <= index)
            {
                _slices.Add(new Slice());
            }

            var slice = _slices[index];
            slice.Completed++;
            if (failed)
            {
                slice.Errors++;
            }

            slice.Histogram.RecordValue(Math.Clamp(latencyUs, 1, Measurements.HighestUs));
        }
    }

    public IReadOnlyList<TimelinePoint> Snapshot()
    {
        lock (_lock)
        {
            var width = _sliceTicks / timestampFrequency;
            return _slices.Select((s, i) => s.Histogram.TotalCount == 0
                ? new TimelinePoint(i * width, s.Completed, s.Errors, 0, 0, 0)
                : new TimelinePoint(i * width, s.Completed, s.Errors, s.Histogram.GetValueAtPercentile(50) / 1000.0, s.Histogram.GetValueAtPercentile(99) / 1000.0, s.Histogram.GetMaxValue() / 1000.0)).ToList();
        }
    }

    private void Halve()
    {
        var merged = new List<Slice>();
        for (var i = 0; i < _slices.Count; i += 2)
        {
            var slice = _slices[i];
            if (i + 1 < _slices.Count)
            {
                slice.Completed += _slices[i + 1].Completed;
                slice.Errors += _slices[i + 1].Errors;
                slice.Histogram.Add(_slices[i + 1].Histogram);
            }

            merged.Add(slice);
        }

        _slices.Clear();
        _slices.AddRange(merged);
        _sliceTicks *= 2;
    }

    private sealed class Slice
    {
        public long Completed;
        public long Errors;
        public readonly LongHistogram Histogram = new(1, Measurements.HighestUs, 1);
    }
}
