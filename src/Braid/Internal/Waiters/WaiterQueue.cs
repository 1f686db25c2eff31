using System.Diagnostics;

namespace Braid.Internal.Waiters;

/// <summary>
/// An intrusive, doubly-linked FIFO of <see cref="Waiter{T}"/> nodes: O(1) enqueue, dequeue and removal
/// of a cancelled node from the middle. Not thread-safe: every call is made under the owner's lock.
/// </summary>
/// <remarks>
/// A queue built with its owner's lock (<see cref="WaiterQueue{T}(Lock, long, string)"/>) is itself the
/// <see cref="IWaiterOwner{T}"/> to <see cref="Waiter{T}.Arm"/> with, for owners whose state needs no repair
/// when a waiter leaves (queues and channels): a cancelled node still queued is removed under that lock,
/// reported (<see cref="WaiterEvents.Cancelled"/>) and failed as cancelled; one no longer queued is left alone.
/// </remarks>
/// <typeparam name="T">The waiters' result type.</typeparam>
internal sealed class WaiterQueue<T> : IWaiterOwner<T>
{
    private readonly Lock? _sync;
    private readonly long _sourceId;
    private readonly string _name = string.Empty;
    private Waiter<T>? _head;
    private Waiter<T>? _tail;

    /// <summary>Creates a queue whose owner handles cancellation itself (it arms nodes with its own <see cref="IWaiterOwner{T}"/>).</summary>
    public WaiterQueue()
    {
    }

    /// <summary>
    /// Creates a queue guarded by <paramref name="sync"/> that handles its nodes' cancellation itself: arm nodes
    /// with this queue as the owner. Events name <paramref name="sourceId"/> and <paramref name="name"/>.
    /// </summary>
    public WaiterQueue(Lock sync, long sourceId, string name)
    {
        _sync = sync;
        _sourceId = sourceId;
        _name = name;
    }

    /// <summary>How many nodes are queued.</summary>
    public int Count { get; private set; }

    /// <summary>The oldest node, or null.</summary>
    public Waiter<T>? First => _head;

    /// <summary>Whether no node is queued.</summary>
    public bool IsEmpty => _head is null;

    /// <summary>Appends <paramref name="waiter"/> at the back.</summary>
    public void Enqueue(Waiter<T> waiter)
    {
        Debug.Assert(waiter.Queue is null, "A node is in at most one queue.");
        waiter.Queue = this;
        waiter.Next = null;
        waiter.Previous = _tail;
        if (_tail is null)
        {
            _head = waiter;
        }
        else
        {
            _tail.Next = waiter;
        }

        _tail = waiter;
        Count++;
    }

    /// <summary>Removes and returns the oldest node, or null when empty.</summary>
    public Waiter<T>? Dequeue()
    {
        var head = _head;
        if (head is not null)
        {
            Remove(head);
        }

        return head;
    }

    /// <summary>
    /// Removes and returns the oldest node whose <see cref="Waiter{T}.Token"/> is not cancelled, or null. Nodes
    /// found cancelled on the way (their callback may be waiting for the lock) are removed and failed as
    /// cancelled: they are skipped, never served, and the value goes to the next node. Returns how many were
    /// skipped in <paramref name="skipped"/>, for the owner to report. Safe under the lock: completing a node never runs its code inline.
    /// </summary>
    public Waiter<T>? DequeueLive(out int skipped)
    {
        skipped = 0;
        while (DequeueCancelled() is { } waiter)
        {
            skipped++;
            waiter.SetCanceled(waiter.Token);
        }

        return Dequeue();
    }

    /// <summary>
    /// Removes and returns the oldest node whose <see cref="Waiter{T}.Token"/> is not cancelled, or null. Nodes
    /// found cancelled on the way (their callback may be waiting for the lock) are removed and added, in order,
    /// to <paramref name="cancelled"/>: the owner counts them and, after leaving the lock, fails them
    /// (<see cref="WaiterList{T}.SetCanceled"/>). They are never served; the value goes to the next node.
    /// </summary>
    public Waiter<T>? DequeueLive(ref WaiterList<T> cancelled)
    {
        while (DequeueCancelled() is { } waiter)
        {
            cancelled.Add(waiter);
        }

        return Dequeue();
    }

    /// <summary>
    /// Removes and returns the oldest node if its <see cref="Waiter{T}.Token"/> is cancelled (its callback may be
    /// waiting for the lock), else null: for an owner that repairs its own state per skipped node, or looks at
    /// the first live node (<see cref="First"/>) before deciding to dequeue it. Fail the node as cancelled.
    /// </summary>
    public Waiter<T>? DequeueCancelled()
    {
        var head = _head;
        if (head is null || !head.Token.IsCancellationRequested)
        {
            return null;
        }

        Remove(head);
        return head;
    }

    /// <summary>Removes <paramref name="waiter"/> if it is in this queue; returns whether it was.</summary>
    public bool Remove(Waiter<T> waiter)
    {
        if (!ReferenceEquals(waiter.Queue, this))
        {
            return false;
        }

        if (waiter.Previous is null)
        {
            _head = waiter.Next;
        }
        else
        {
            waiter.Previous.Next = waiter.Next;
        }

        if (waiter.Next is null)
        {
            _tail = waiter.Previous;
        }
        else
        {
            waiter.Next.Previous = waiter.Previous;
        }

        waiter.Next = null;
        waiter.Previous = null;
        waiter.Queue = null;
        Count--;
        return true;
    }

    /// <summary>Moves every node, in order, to <paramref name="list"/>.</summary>
    public void DrainTo(ref WaiterList<T> list)
    {
        while (Dequeue() is { } waiter)
        {
            list.Add(waiter);
        }
    }

    /// <summary>Moves the nodes whose <see cref="Waiter{T}.State"/> is <paramref name="state"/> (by reference), in order, to <paramref name="list"/>.</summary>
    public void DrainTo(ref WaiterList<T> list, object state)
    {
        var node = _head;
        while (node is not null)
        {
            var next = node.Next;
            if (ReferenceEquals(node.State, state))
            {
                Remove(node);
                list.Add(node);
            }

            node = next;
        }
    }

    /// <summary>The standard cancellation: remove the node if still queued (under the lock), report it, fail it.</summary>
    void IWaiterOwner<T>.OnWaiterCancellationRequested(Waiter<T> waiter, CancellationToken cancellationToken)
    {
        var sync = _sync ?? throw new InvalidOperationException("This waiter queue was built without a lock; arm its nodes with their real owner.");
        lock (sync)
        {
            if (!Remove(waiter))
            {
                return; // a hand-off or a close got there first and owns the completion
            }

            WaiterEvents.Cancelled(_sourceId, _name);
        }

        waiter.SetCanceled(cancellationToken);
    }
}
