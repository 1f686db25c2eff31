namespace Braid.Pipelines.Engine;

/// <summary>Emits arrays of up to <c>size</c> items, or fewer when the first item held has waited <c>maxDelay</c>.</summary>
internal sealed class BatchStage<T> : AccumulatorStage<T, T[]>
{
    private readonly int _size;
    private readonly long? _maxDelayTicks;
    private readonly List<T> _held;
    private long _firstArrival;

    public BatchStage(int size, TimeSpan? maxDelay, RunContext run, StageCounters counters, Link<T> input, Link<T[]> output)
        : base(run, counters, input, output)
    {
        _size = size;
        _maxDelayTicks = maxDelay is { } d ? (long)(d.TotalSeconds * run.Time.TimestampFrequency) : null;
        _held = new List<T>(Math.Min(size, 1024));
    }

    protected override long? NextDeadline => _held.Count > 0 && _maxDelayTicks is { } d ? _firstArrival + d : null;

    protected override void Accept(T item, long now)
    {
        if (_held.Count == 0)
        {
            _firstArrival = now;
        }

        _held.Add(item);
        if (_held.Count == _size)
        {
            EmitHeld();
        }
    }

    protected override void EmitExpired(long now)
    {
        if (NextDeadline is { } deadline && deadline <= now)
        {
            EmitHeld();
        }
    }

    protected override void EmitAll() => EmitHeld();

    private void EmitHeld()
    {
        if (_held.Count > 0)
        {
            Emit([.. _held]);
            _held.Clear();
        }
    }
}
