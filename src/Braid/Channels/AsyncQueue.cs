using System.Diagnostics;

namespace Braid.Channels;

/// <summary>
/// A first-in, first-out queue for tasks, with asyncio.Queue's semantics: optionally bounded, with
/// <see cref="TaskDone"/> and <see cref="JoinAsync"/> to wait until every item has been processed,
/// and <see cref="Shutdown"/> to stop it.
/// </summary>
/// <remarks>
/// <para>Waiting getters and putters are served first-come, first-served, with direct hand-off: an item
/// put while a getter waits goes to the longest-waiting getter, and a get from a full queue admits the
/// longest-waiting putter. Completing a waiter never runs its continuation inline.</para>
/// <para>A wait ended by cancellation did nothing: a cancelled get took no item, a cancelled put added
/// none. An item is never handed to a waiter whose token is already cancelled; it goes to the next one.</para>
/// <para>Uncompleted waits cost one small pooled node; puts and gets that complete at once allocate nothing.</para>
/// <para>See also <see cref="AsyncLifoQueue{T}"/> and <see cref="AsyncPriorityQueue{TElement, TPriority}"/>,
/// which share this implementation and differ only in the order items leave.</para>
/// </remarks>
/// <typeparam name="T">The type of the items.</typeparam>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncQueue<T>
{
    private readonly QueueCore<T, T, FifoStorage<T>> _core;

    /// <summary>Creates an unbounded queue: puts never wait.</summary>
    public AsyncQueue()
        : this(int.MaxValue)
    {
    }

    /// <summary>Creates a queue that holds at most <paramref name="capacity"/> items; puts wait for room.</summary>
    /// <param name="capacity">At least 1; <see cref="int.MaxValue"/> means unbounded.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is less than 1.</exception>
    public AsyncQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _core = new QueueCore<T, T, FifoStorage<T>>(capacity, new FifoStorage<T>(Math.Min(capacity, 16)));
    }

    /// <summary>The queue's stable, process-wide unique id (for diagnostics).</summary>
    public long Id => _core.Id;

    /// <summary>The most items the queue holds; <see cref="int.MaxValue"/> when unbounded.</summary>
    public int Capacity => _core.Capacity;

    /// <summary>How many items are in the queue now (a snapshot).</summary>
    public int Count => _core.Count;

    /// <summary>
    /// Adds an item, waiting for room while the queue is full.
    /// </summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels the wait for room; a cancelled put added nothing.</param>
    /// <returns>A task that completes when the item is in the queue (or handed to a waiting getter).</returns>
    /// <exception cref="QueueShutDownException">The queue was shut down (before or during the wait); the item was not added.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the item was added.</exception>
    /// <remarks>Completes synchronously, allocating nothing, when there is room. Waiting putters are admitted in FIFO order.</remarks>
    public ValueTask PutAsync(T item, CancellationToken cancellationToken = default) => _core.PutAsync(item, cancellationToken);

    /// <summary>Adds an item if there is room, without waiting.</summary>
    /// <param name="item">The item.</param>
    /// <returns><see langword="true"/> if the item was added; <see langword="false"/> if the queue is full.</returns>
    /// <exception cref="QueueShutDownException">The queue was shut down.</exception>
    /// <remarks>Never waits; always synchronous. It does not jump ahead of waiting putters' claims: it fails while the queue is full.</remarks>
    public bool TryPut(T item) => _core.TryPut(item);

    /// <summary>Removes and returns the next item, waiting while the queue is empty.</summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled get took no item.</param>
    /// <returns>The item.</returns>
    /// <exception cref="QueueShutDownException">The queue was shut down and has no item left (after a graceful shutdown, the remaining items are still handed out first).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before an item was taken.</exception>
    /// <remarks>Completes synchronously, allocating nothing, when an item is there. Waiting getters are served in FIFO order.</remarks>
    public ValueTask<T> GetAsync(CancellationToken cancellationToken = default) => _core.GetAsync(cancellationToken);

    /// <summary>Removes the next item if there is one, without waiting.</summary>
    /// <param name="item">The item, or <see langword="default"/>.</param>
    /// <returns><see langword="true"/> if an item was taken.</returns>
    /// <exception cref="QueueShutDownException">The queue was shut down and is empty.</exception>
    /// <remarks>Never waits; always synchronous.</remarks>
    public bool TryGet(out T item) => _core.TryGet(out item);

    /// <summary>Marks one item taken from the queue as processed. <see cref="JoinAsync"/> completes when every item put has been marked.</summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put.</exception>
    /// <remarks>Never waits. Releases join waiters asynchronously (their continuations do not run inline).</remarks>
    public void TaskDone() => _core.TaskDone();

    /// <summary>Waits until every item put has been marked done with <see cref="TaskDone"/>.</summary>
    /// <param name="cancellationToken">Cancels this wait only; it changes nothing in the queue.</param>
    /// <returns>A task that completes when the count of unfinished items is zero.</returns>
    /// <remarks>
    /// Completes synchronously when nothing is unfinished; a token already cancelled fails at once. An immediate
    /// <see cref="Shutdown"/> counts the items it removes as done. A joiner is a pooled waiter like a getter
    /// (await the returned task once): it allocates nothing once the queue is warm, leaves no registration on
    /// the token, and on an <see cref="Braid.Loop.AsyncLoop"/> its release is a loop step (design rule 36).
    /// </remarks>
    public ValueTask JoinAsync(CancellationToken cancellationToken = default) => _core.JoinAsync(cancellationToken);

    /// <summary>
    /// Shuts the queue down: every later put fails with <see cref="QueueShutDownException"/>, and so do
    /// the puts waiting now (their items were not added). Gets still hand out the remaining items, then fail.
    /// </summary>
    /// <param name="immediate">
    /// <see langword="true"/> to also empty the queue at once: the removed items count as done for
    /// <see cref="JoinAsync"/>, and waiting getters fail now.
    /// </param>
    /// <returns>The items removed by an immediate shutdown, in the order they would have been taken (empty otherwise), so that nothing is lost silently.</returns>
    /// <remarks>Never waits; idempotent (a second call with <paramref name="immediate"/> escalates a graceful shutdown).</remarks>
    public IReadOnlyList<T> Shutdown(bool immediate = false) => _core.Shutdown(immediate);

    /// <summary>A consistent snapshot of the queue's counters.</summary>
    /// <returns>The statistics.</returns>
    public AsyncQueueStatistics GetStatistics() => _core.GetStatistics();

    private string DebuggerDisplay
    {
        get
        {
            var s = GetStatistics();
            return $"AsyncQueue #{Id}: {s.Count}/{(s.Capacity == int.MaxValue ? "unbounded" : s.Capacity)}, unfinished {s.UnfinishedTasks}, getters {s.GettersWaiting}, putters {s.PuttersWaiting}{(s.IsShutDown ? ", shut down" : "")}";
        }
    }
}
