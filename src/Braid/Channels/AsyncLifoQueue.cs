using System.Diagnostics;

namespace Braid.Channels;

/// <summary>
/// A last-in, first-out queue for tasks (asyncio's <c>LifoQueue</c>): the same semantics as
/// <see cref="AsyncQueue{T}"/> — capacity, task-done and join, shutdown, fairness among waiters,
/// cancellation safety — except that a get takes the most recently added item.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncLifoQueue<T>
{
    private readonly QueueCore<T, T, LifoStorage<T>> _core;

    /// <summary>Creates an unbounded LIFO queue: puts never wait.</summary>
    public AsyncLifoQueue()
        : this(int.MaxValue)
    {
    }

    /// <inheritdoc cref="AsyncQueue{T}(int)"/>
    public AsyncLifoQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _core = new QueueCore<T, T, LifoStorage<T>>(capacity, new LifoStorage<T>(Math.Min(capacity, 16)));
    }

    /// <inheritdoc cref="AsyncQueue{T}.Id"/>
    public long Id => _core.Id;

    /// <inheritdoc cref="AsyncQueue{T}.Capacity"/>
    public int Capacity => _core.Capacity;

    /// <inheritdoc cref="AsyncQueue{T}.Count"/>
    public int Count => _core.Count;

    /// <inheritdoc cref="AsyncQueue{T}.PutAsync"/>
    public ValueTask PutAsync(T item, CancellationToken cancellationToken = default) => _core.PutAsync(item, cancellationToken);

    /// <inheritdoc cref="AsyncQueue{T}.TryPut"/>
    public bool TryPut(T item) => _core.TryPut(item);

    /// <summary>Removes and returns the most recently added item, waiting while the queue is empty.</summary>
    /// <inheritdoc cref="AsyncQueue{T}.GetAsync"/>
    public ValueTask<T> GetAsync(CancellationToken cancellationToken = default) => _core.GetAsync(cancellationToken);

    /// <summary>Removes the most recently added item if there is one, without waiting.</summary>
    /// <inheritdoc cref="AsyncQueue{T}.TryGet"/>
    public bool TryGet(out T item) => _core.TryGet(out item);

    /// <inheritdoc cref="AsyncQueue{T}.TaskDone"/>
    public void TaskDone() => _core.TaskDone();

    /// <inheritdoc cref="AsyncQueue{T}.JoinAsync"/>
    public ValueTask JoinAsync(CancellationToken cancellationToken = default) => _core.JoinAsync(cancellationToken);

    /// <inheritdoc cref="AsyncQueue{T}.Shutdown"/>
    public IReadOnlyList<T> Shutdown(bool immediate = false) => _core.Shutdown(immediate);

    /// <inheritdoc cref="AsyncQueue{T}.GetStatistics"/>
    public AsyncQueueStatistics GetStatistics() => _core.GetStatistics();

    private string DebuggerDisplay
    {
        get
        {
            var s = GetStatistics();
            return $"AsyncLifoQueue #{Id}: {s.Count}/{(s.Capacity == int.MaxValue ? "unbounded" : s.Capacity)}, unfinished {s.UnfinishedTasks}, getters {s.GettersWaiting}, putters {s.PuttersWaiting}{(s.IsShutDown ? ", shut down" : "")}";
        }
    }
}
