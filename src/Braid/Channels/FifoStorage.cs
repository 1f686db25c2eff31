using System.Runtime.CompilerServices;

namespace Braid.Channels;

/// <summary>First in, first out: a growable ring buffer.</summary>
internal struct FifoStorage<T> : IQueueStorage<T, T>
{
    private T[] _items;
    private int _head;
    private int _count;

    public FifoStorage(int initialCapacity)
    {
        _items = new T[Math.Max(initialCapacity, 1)];
    }

    public readonly int Count => _count;

    public void Add(T item)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        var tail = _head + _count;
        if (tail >= _items.Length)
        {
            tail -= _items.Length;
        }

        _items[tail] = item;
        _count++;
    }

    public T Take()
    {
        var item = _items[_head];
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            _items[_head] = default!;
        }

        if (++_head == _items.Length)
        {
            _head = 0;
        }

        _count--;
        return item;
    }

    public void DrainTo(List<T> into)
    {
        while (_count > 0)
        {
            into.Add(Take());
        }
    }

    private void Grow()
    {
        var bigger = new T[_items.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            var index = _head + i;
            bigger[i] = _items[index >= _items.Length ? index - _items.Length : index];
        }

        _items = bigger;
        _head = 0;
    }
}
