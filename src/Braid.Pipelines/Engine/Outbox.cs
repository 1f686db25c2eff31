using System.Diagnostics;

namespace Braid.Pipelines.Engine;

/// <summary>
/// One worker's output buffer: items are added one by one and sent downstream as one segment when
/// the segment is full or when the worker is about to wait. Not thread-safe: one per worker.
/// </summary>
/// <remarks>
/// A paced outbox (a synchronous source, a stage's only worker) counts a segment full at fewer items
/// than the link's segment size when its items are slow to produce: about <see cref="TargetTicks"/> of
/// measured work per transfer (<see cref="Pace"/>), so a transfer's fixed cost (about a microsecond:
/// queueing the segment, waking the reader) stays far below the work, while a slow stage still sends its items
/// within about that time instead of holding them until a large segment fills (design rule 65).
/// </remarks>
internal sealed class Outbox<T>
{
    /// <summary>
    /// The measured work a paced outbox puts in one transfer: 1 ms. At 100 µs, two workers at 1.3 µs an
    /// item cut every batch into four 64-item chunks and fell from 88-94% of the two-core limit to 76-88%
    /// (bench/README.md, seventh session; measured while links still counted transfers, not items).
    /// </summary>
    internal static readonly long TargetTicks = Math.Max(1, Stopwatch.Frequency / 1_000);

    /// <summary>
    /// The fewest items a paced outbox counts as full (or the segment size, if smaller), and its limit
    /// before anything is measured: the first items of a run leave early, a segment size set this small
    /// is kept exactly, and one slow measurement (a first call, a preemption) cannot shrink transfers to
    /// single items, each of which costs a whole transfer's hand-off.
    /// </summary>
    internal const int LeastPacedLimit = 16;

    private readonly Link<T> _link;
    private readonly StageCounters _counters;
    private readonly int _size;
    private readonly bool _paced;
    private T[]? _buffer;
    private int _count;
    private int _limit;
    private int _addedSincePace;

    public Outbox(Link<T> link, StageCounters counters, bool paced = false)
    {
        _link = link;
        _counters = counters;
        _size = link.Spec.SegmentSize;
        _paced = paced;
        _limit = paced ? Math.Min(_size, LeastPacedLimit) : _size;
    }

    public int Count => _count;

    /// <summary>The number of items at which <see cref="Add"/> reports the segment full (at most the link's segment size).</summary>
    public int Limit => _limit;

    /// <summary>Adds an item; answers <see langword="true"/> when the segment is full and must be flushed before the next add.</summary>
    public bool Add(T item)
    {
        var buffer = _buffer ??= Segment<T>.Rent(_size);
        buffer[_count++] = item;
        _addedSincePace++;
        return _count >= _limit;
    }

    /// <summary>
    /// Tells a paced outbox that the items added since the last call took <paramref name="ticks"/>
    /// (Stopwatch) to produce, and sets its limit to the items produced in about <see cref="TargetTicks"/>,
    /// between <see cref="LeastPacedLimit"/> and the segment size. Does nothing on an outbox that is not paced.
    /// </summary>
    public void Pace(long ticks)
    {
        var items = _addedSincePace;
        _addedSincePace = 0;
        if (!_paced || items == 0)
        {
            return;
        }

        var limit = ticks <= 0 ? _size : (long)items * TargetTicks / ticks;
        _limit = (int)Math.Clamp(limit, Math.Min(_size, LeastPacedLimit), _size);
    }

    /// <summary>Sends the buffered items downstream, waiting for room when the link is full. Completes synchronously when there is room.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) =>
        _count == 0 ? default : SendAsync(Take(), cancellationToken);

    /// <summary>Takes the buffered items out of the outbox, unsent and uncounted (<c>Items</c> is null when it is empty).</summary>
    public Segment<T> Take()
    {
        if (_count == 0)
        {
            return default;
        }

        var segment = new Segment<T>(_buffer!, _count);
        _buffer = null;
        _count = 0;
        return segment;
    }

    /// <summary>
    /// Sends <paramref name="segment"/> (this outbox's, or another worker's of the same stage) downstream
    /// and counts it; an empty segment is skipped. Completes synchronously when there is room.
    /// </summary>
    public ValueTask SendAsync(Segment<T> segment, CancellationToken cancellationToken)
    {
        if (segment.Count == 0)
        {
            return default;
        }

        _counters.AddOut(segment.Count);
        _link.Enqueued(segment.Count);
        return _link.WriteAsync(segment, cancellationToken);
    }
}
