using System.Diagnostics;

namespace Braid.Internal.Waiters;

/// <summary>
/// An intrusive, doubly-linked FIFO of <see cref="Waiter{T}"/> nodes: O(1) enqueue, dequeue and removal
/// of a cancelled node from the middle. Not thread-safe: every call is made under the owner's lock.
/// </summary>
/// <typeparam name="T">The waiters' result type.</typeparam>
internal sealed class WaiterQueue<T>
{
    private Waiter<T>? _head;
    private Waiter<T>? _tail;

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
}
