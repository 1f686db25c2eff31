namespace Braid.Channels;

/// <summary>
/// Lowest priority first; items of equal priority leave in the order they were put (a sequence number
/// breaks ties, which <see cref="PriorityQueue{TElement, TPriority}"/> alone does not).
/// </summary>
internal struct PriorityStorage<TElement, TPriority> : IQueueStorage<(TElement Element, TPriority Priority), TElement>
{
    private readonly PriorityQueue<TElement, (TPriority Priority, long Sequence)> _heap;
    private long _sequence;

    public PriorityStorage(IComparer<TPriority>? comparer)
    {
        var priorities = comparer ?? Comparer<TPriority>.Default;
        _heap = new PriorityQueue<TElement, (TPriority, long)>(Comparer<(TPriority Priority, long Sequence)>.Create((a, b) =>
        {
            var byPriority = priorities.Compare(a.Priority, b.Priority);
            return byPriority != 0 ? byPriority : a.Sequence.CompareTo(b.Sequence);
        }));
    }

    public readonly int Count => _heap.Count;

    public void Add((TElement Element, TPriority Priority) item) => _heap.Enqueue(item.Element, (item.Priority, _sequence++));

    public readonly TElement Take() => _heap.Dequeue();

    public readonly void DrainTo(List<TElement> into)
    {
        while (_heap.TryDequeue(out var element, out _))
        {
            into.Add(element);
        }
    }
}
