using Braid.Loop;

namespace Braid.Internal.Waiters;

/// <summary>
/// A bounded free list of <see cref="Waiter{T}"/> nodes, one per owner. <see cref="Return"/> is lock-free
/// (called by awaiters on any thread); <see cref="Rent"/> must be serialised by the owner's lock, which
/// makes the Treiber stack safe from ABA: only pushes can race a pop, and a push always changes the head.
/// </summary>
/// <typeparam name="T">The waiters' result type.</typeparam>
internal sealed class WaiterPool<T>
{
    private readonly int _capacity;
    private Waiter<T>? _head;
    private int _count;

    /// <summary>
    /// Creates a pool that keeps at most <paramref name="capacity"/> free nodes. With
    /// <paramref name="completesAtOnce"/> its nodes complete their task in the completing call (the
    /// continuation still dispatched asynchronously), instead of deferring the whole completion to a work
    /// item: a queue or channel waiter is then complete as soon as the hand-off returns.
    /// </summary>
    public WaiterPool(int capacity = 256, bool completesAtOnce = false)
    {
        _capacity = capacity;
        CompletesAtOnce = completesAtOnce;
    }

    /// <summary>Whether nodes of this pool complete their task at once (see the constructor).</summary>
    public bool CompletesAtOnce { get; }

    /// <summary>
    /// A free node, or a new one, bound to the <see cref="AsyncLoop"/> running on the calling thread (if any):
    /// call it under the owner's lock, on the thread that waits, so that the node completes as a step of that
    /// loop (design rule 36).
    /// </summary>
    public Waiter<T> Rent()
    {
        var waiter = Pop() ?? new Waiter<T>(this);
        waiter.Loop = AsyncLoop.Current;
        return waiter;
    }

    private Waiter<T>? Pop()
    {
        while (true)
        {
            var head = Volatile.Read(ref _head);
            if (head is null)
            {
                return null;
            }

            if (Interlocked.CompareExchange(ref _head, head.PoolNext, head) == head)
            {
                head.PoolNext = null;
                Interlocked.Decrement(ref _count);
                return head;
            }
        }
    }

    /// <summary>Gives a reset node back; drops it when the pool is full.</summary>
    public void Return(Waiter<T> waiter)
    {
        if (Volatile.Read(ref _count) >= _capacity)
        {
            return;
        }

        Interlocked.Increment(ref _count);
        while (true)
        {
            var head = Volatile.Read(ref _head);
            waiter.PoolNext = head;
            if (Interlocked.CompareExchange(ref _head, waiter, head) == head)
            {
                return;
            }
        }
    }
}
