using System.Diagnostics;

namespace Braid.Channels;

/// <summary>
/// A priority queue for tasks (asyncio's <c>PriorityQueue</c>): the same semantics as
/// <see cref="AsyncQueue{T}"/> — capacity, task-done and join, shutdown, fairness among waiters,
/// cancellation safety — except that a get takes the element with the lowest priority. Elements of
/// equal priority leave in the order they were put.
/// </summary>
/// <typeparam name="TElement">The type of the elements.</typeparam>
/// <typeparam name="TPriority">The type of the priorities; lower leaves first.</typeparam>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncPriorityQueue<TElement, TPriority>
{
    private readonly QueueCore<(TElement Element, TPriority Priority), TElement, PriorityStorage<TElement, TPriority>> _core;

    /// <summary>Creates an unbounded priority queue: puts never wait.</summary>
    /// <param name="comparer">Orders priorities; <see cref="Comparer{T}.Default"/> when null.</param>
    public AsyncPriorityQueue(IComparer<TPriority>? comparer = null)
        : this(int.MaxValue, comparer)
    {
    }

    /// <summary>Creates a priority queue that holds at most <paramref name="capacity"/> elements; puts wait for room.</summary>
    /// <param name="capacity">At least 1; <see cref="int.MaxValue"/> means unbounded.</param>
    /// <param name="comparer">Orders priorities; <see cref="Comparer{T}.Default"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is less than 1.</exception>
    public AsyncPriorityQueue(int capacity, IComparer<TPriority>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _core = new(capacity, new PriorityStorage<TElement, TPriority>(comparer));
    }

    /// <inheritdoc cref="AsyncQueue{T}.Id"/>
    public long Id => _core.Id;

    /// <inheritdoc cref="AsyncQueue{T}.Capacity"/>
    public int Capacity => _core.Capacity;

    /// <inheritdoc cref="AsyncQueue{T}.Count"/>
    public int Count => _core.Count;

    /// <summary>Adds an element with its priority, waiting for room while the queue is full.</summary>
    /// <param name="element">The element.</param>
    /// <param name="priority">Its priority; lower leaves first.</param>
    /// <param name="cancellationToken">Cancels the wait for room; a cancelled put added nothing.</param>
    /// <returns>A task that completes when the element is in the queue (or handed to a waiting getter).</returns>
    /// <exception cref="QueueShutDownException">The queue was shut down; the element was not added.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the element was added.</exception>
    /// <remarks>Completes synchronously when there is room. Waiting putters are admitted in FIFO order, whatever their priority.</remarks>
    public ValueTask PutAsync(TElement element, TPriority priority, CancellationToken cancellationToken = default)
        => _core.PutAsync((element, priority), cancellationToken);

    /// <summary>Adds an element with its priority if there is room, without waiting.</summary>
    /// <param name="element">The element.</param>
    /// <param name="priority">Its priority; lower leaves first.</param>
    /// <returns><see langword="true"/> if the element was added; <see langword="false"/> if the queue is full.</returns>
    /// <exception cref="QueueShutDownException">The queue was shut down.</exception>
    public bool TryPut(TElement element, TPriority priority) => _core.TryPut((element, priority));

    /// <summary>Removes and returns the element with the lowest priority, waiting while the queue is empty.</summary>
    /// <inheritdoc cref="AsyncQueue{T}.GetAsync"/>
    public ValueTask<TElement> GetAsync(CancellationToken cancellationToken = default) => _core.GetAsync(cancellationToken);

    /// <summary>Removes the element with the lowest priority if there is one, without waiting.</summary>
    /// <inheritdoc cref="AsyncQueue{T}.TryGet"/>
    public bool TryGet(out TElement element) => _core.TryGet(out element);

    /// <inheritdoc cref="AsyncQueue{T}.TaskDone"/>
    public void TaskDone() => _core.TaskDone();

    /// <inheritdoc cref="AsyncQueue{T}.JoinAsync"/>
    public ValueTask JoinAsync(CancellationToken cancellationToken = default) => _core.JoinAsync(cancellationToken);

    /// <inheritdoc cref="AsyncQueue{T}.Shutdown"/>
    public IReadOnlyList<TElement> Shutdown(bool immediate = false) => _core.Shutdown(immediate);

    /// <inheritdoc cref="AsyncQueue{T}.GetStatistics"/>
    public AsyncQueueStatistics GetStatistics() => _core.GetStatistics();

    private string DebuggerDisplay
    {
        get
        {
            var s = GetStatistics();
            return $"AsyncPriorityQueue #{Id}: {s.Count}/{(s.Capacity == int.MaxValue ? "unbounded" : s.Capacity)}, unfinished {s.UnfinishedTasks}, getters {s.GettersWaiting}, putters {s.PuttersWaiting}{(s.IsShutDown ? ", shut down" : "")}";
        }
    }
}
