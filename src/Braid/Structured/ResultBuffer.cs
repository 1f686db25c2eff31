namespace Braid.Structured;

/// <summary>
/// Slots for results that arrive out of order but must come out in input order. Slots are handed out
/// under the caller's lock, in input order; writing a slot needs no lock because a chunk, once
/// handed out, never moves. Chunks grow geometrically, so an input of unknown length costs at most
/// twice its size, and an input of known length costs exactly one array.
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
internal sealed class ResultBuffer<T>
{
    private const int FirstChunk = 16;
    private const int LargestChunk = 1 << 20;

    private readonly List<T[]> _chunks = new(1);
    private T[] _current;
    private int _position;
    private int _count;

    public ResultBuffer(int? knownCount)
    {
        _current = knownCount is { } n ? (n == 0 ? [] : new T[n]) : new T[FirstChunk];
        _chunks.Add(_current);
    }

    /// <summary>Reserves the next slot in input order. Call under the lock that orders the input.</summary>
    public (T[] Chunk, int Slot) Reserve()
    {
        if (_position == _current.Length)
        {
            _current = new T[Math.Clamp(_current.Length * 2, FirstChunk, LargestChunk)];
            _chunks.Add(_current);
            _position = 0;
        }

        _count++;
        return (_current, _position++);
    }

    /// <summary>The results in input order. Call once every writer has finished.</summary>
    public T[] ToArray()
    {
        if (_chunks.Count == 1 && _current.Length == _count)
        {
            return _current;
        }

        var result = new T[_count];
        var offset = 0;
        foreach (var chunk in _chunks)
        {
            var take = Math.Min(chunk.Length, _count - offset);
            Array.Copy(chunk, 0, result, offset, take);
            offset += take;
        }

        return result;
    }
}
