using Braid.Instrumentation;

namespace Braid.Channels;

/// <summary>
/// A FIFO list of <see cref="Waiter{T}"/>s guarded by its owner's lock, with a small lock-free pool of
/// nodes so that a steady stream of waiters allocates nothing.
/// </summary>
/// <remarks>Every member except <see cref="Rent"/>, <see cref="Return"/> and the cancellation entry point runs under the owner's lock.</remarks>
internal sealed class WaiterList<T>
{
    private const int PoolSize = 4;

    private readonly Lock _sync;
    private readonly long _ownerId;
    private readonly Waiter<T>?[] _pool = new Waiter<T>?[PoolSize];
    private Waiter<T>? _head;
    private Waiter<T>? _tail;

    public WaiterList(Lock sync, long ownerId)
    {
        _sync = sync;
        _ownerId = ownerId;
    }

    /// <summary>How many waiters are queued.</summary>
    public int Count { get; private set; }

    /// <summary>A fresh or pooled node, ready for a new wait.</summary>
    public Waiter<T> Rent()
    {
        for (var i = 0; i < PoolSize; i++)
        {
            var node = Interlocked.Exchange(ref _pool[i], null);
            if (node is not null)
            {
                return node;
            }
        }

        return new Waiter<T>(this);
    }

    /// <summary>Gives back a node whose wait was consumed and that no callback can reach any more.</summary>
    public void Return(Waiter<T> node)
    {
        for (var i = 0; i < PoolSize; i++)
        {
            if (Interlocked.CompareExchange(ref _pool[i], node, null) is null)
            {
                return;
            }
        }
    }

    /// <summary>Queues a rented node at the tail and registers its cancellation (under the lock).</summary>
    public void Enqueue(Waiter<T> node, CancellationToken cancellationToken)
    {
        node.Next = null;
        node.Prev = _tail;
        node.IsQueued = true;
        if (_tail is null)
        {
            _head = node;
        }
        else
        {
            _tail.Next = node;
        }

        _tail = node;
        Count++;
        if (BraidInstrumentation.IsEnabled)
        {
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.WaiterQueued, _ownerId));
        }

        node.Register(cancellationToken);
    }

    /// <summary>
    /// Removes and returns the first waiter whose token is not cancelled, or null. Waiters found
    /// cancelled on the way are removed and completed as cancelled: they are skipped, never served.
    /// </summary>
    public Waiter<T>? DequeueLive()
    {
        while (_head is { } node)
        {
            Remove(node);
            if (!node.Token.IsCancellationRequested)
            {
                if (BraidInstrumentation.IsEnabled)
                {
                    BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.WaiterReleased, _ownerId));
                }

                return node;
            }

            RaiseCancelled();
            node.SetCanceled();
        }

        return null;
    }

    /// <summary>Removes every waiter and returns them as a chain linked by <see cref="Waiter{T}.Next"/>.</summary>
    public Waiter<T>? DetachAll()
    {
        var head = _head;
        for (var node = head; node is not null; node = node.Next)
        {
            node.IsQueued = false;
            node.Prev = null;
        }

        _head = _tail = null;
        Count = 0;
        return head;
    }

    /// <summary>Removes the waiters whose <see cref="Waiter{T}.Tag"/> is <paramref name="tag"/>, as a chain.</summary>
    public Waiter<T>? DetachTagged(object tag)
    {
        Waiter<T>? chain = null;
        Waiter<T>? chainTail = null;
        var node = _head;
        while (node is not null)
        {
            var next = node.Next;
            if (ReferenceEquals(node.Tag, tag))
            {
                Remove(node);
                if (chainTail is null)
                {
                    chain = node;
                }
                else
                {
                    chainTail.Next = node;
                }

                chainTail = node;
            }

            node = next;
        }

        return chain;
    }

    /// <summary>Completes every node of a detached chain with a failure; call outside the lock.</summary>
    public static void FailChain(Waiter<T>? chain, Func<Exception> exception)
    {
        while (chain is not null)
        {
            var next = chain.Next; // read before completion: a completed node may be recycled at once
            chain.SetException(exception());
            chain = next;
        }
    }

    /// <summary>The cancellation callback's entry point: remove the node if it is still queued.</summary>
    internal void OnTokenCancelled(Waiter<T> node)
    {
        lock (_sync)
        {
            if (!node.IsQueued)
            {
                return; // a hand-off or a close got there first and owns the completion
            }

            Remove(node);
            RaiseCancelled();
        }

        node.SetCanceledFromCallback();
    }

    private void Remove(Waiter<T> node)
    {
        if (node.Prev is null)
        {
            _head = node.Next;
        }
        else
        {
            node.Prev.Next = node.Next;
        }

        if (node.Next is null)
        {
            _tail = node.Prev;
        }
        else
        {
            node.Next.Prev = node.Prev;
        }

        node.Next = node.Prev = null;
        node.IsQueued = false;
        Count--;
    }

    private void RaiseCancelled()
    {
        if (BraidInstrumentation.IsEnabled)
        {
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.WaiterCancelled, _ownerId));
        }
    }
}
