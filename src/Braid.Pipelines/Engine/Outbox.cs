namespace Braid.Pipelines.Engine;

/// <summary>
/// One worker's output buffer: items are added one by one and sent downstream as one segment when
/// the segment is full or when the worker is about to wait. Not thread-safe: one per worker.
/// </summary>
internal sealed class Outbox<T>
{
    private readonly Link<T> _link;
    private readonly StageCounters _counters;
    private readonly int _size;
    private T[]? _buffer;
    private int _count;

    public Outbox(Link<T> link, StageCounters counters)
    {
        _link = link;
        _counters = counters;
        _size = link.Spec.SegmentSize;
    }

    public int Count => _count;

    /// <summary>Adds an item; answers <see langword="true"/> when the segment is full and must be flushed before the next add.</summary>
    public bool Add(T item)
    {
        var buffer = _buffer ??= Segment<T>.Rent(_size);
        buffer[_count++] = item;
        return _count == _size;
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
