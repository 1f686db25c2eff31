namespace Braid.Channels;

/// <summary>Last in, first out: a growable stack.</summary>
internal struct LifoStorage<T> : IQueueStorage<T, T>
{
    private T[] _items;
    private int _count;

    public LifoStorage(int initialCapacity)
    {
        _items = new T[Math.Max(initialCapacity, 1)];
    }

    public readonly int Count => _count;

    public void Add(T item)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[_count++] = item;
    }

    public T Take()
    {
        var item = _items[--_count];
        _items[_count] = default!;
        return item;
    }

    public void DrainTo(List<T> into)
    {
        while (_count > 0)
        {
            into.Add(Take());
        }
    }
}
