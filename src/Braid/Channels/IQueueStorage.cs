namespace Braid.Channels;

/// <summary>
/// The order in which a queue hands out its items. Implemented by structs so that the shared
/// <see cref="QueueCore{TIn, TOut, TStorage}"/> calls them without virtual dispatch.
/// </summary>
/// <typeparam name="TIn">What a put stores (for the priority queue, the element and its priority).</typeparam>
/// <typeparam name="TOut">What a get returns.</typeparam>
internal interface IQueueStorage<TIn, TOut>
{
    /// <summary>How many items are stored.</summary>
    int Count { get; }

    /// <summary>Stores an item; never fails (capacity is the core's business).</summary>
    void Add(TIn item);

    /// <summary>Removes and returns the next item; only called when <see cref="Count"/> is positive.</summary>
    TOut Take();

    /// <summary>Removes every item, in the order they would have been taken, into <paramref name="into"/>.</summary>
    void DrainTo(List<TOut> into);
}
