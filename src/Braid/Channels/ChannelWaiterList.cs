using Braid.Instrumentation;

namespace Braid.Channels;

/// <summary>
/// A FIFO list of <see cref="ChannelWaiter{T}"/>s guarded by its owner's lock, with a small lock-free pool of
/// nodes so that a steady stream of waiters allocates nothing.
/// </summary>
/// <remarks>Every member except <see cref="Rent"/>, <see cref="Return"/> and the cancellation entry point runs under the owner's lock.</remarks>
internal sealed class ChannelWaiterList<T>
{
    private const int PoolSize = 4;

    private readonly Lock _sync;
    private readonly long _ownerId;
    private readonly ChannelWaiter<T>?[] _pool = new ChannelWaiter<T>?[PoolSize];
    private ChannelWaiter<T>? _head;
    private ChannelWaiter<T>? _tail;

    public ChannelWaiterList(Lock sync, long ownerId)
    {
        _sync = sync;
        _ownerId = ownerId;
    }

    /// <summary>How many waiters are queued.</summary>
    public int Count { get; private set; }

    /// <summary>A fresh or pooled node, ready for a new wait.</summary>
    public ChannelWaiter<T> Rent()
    {
        for (var i = 0; i < PoolSize; i++)
        {
            var node = Interlocked.Exchange(ref _pool[i], null);
            if (node is not null)
            {
                return node;
            }
        }

        return new ChannelWaiter<T>(this);
    }

    /// <summary>Gives back a node whose wait was consumed and that no callback can reach any more.</summary>
    public void Return(ChannelWaiter<T> node)
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
    public void Enqueue(ChannelWaiter<T> node, CancellationToken cancellationToken)
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
    public ChannelWaiter<T>? DequeueLive()
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

    /// <summary>Removes every waiter and returns them as a chain linked by <see cref="ChannelWaiter{T}.Next"/>.</summary>
    public ChannelWaiter<T>? DetachAll()
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

    /// <summary>Removes the waiters whose <see cref="ChannelWaiter{T}.Tag"/> is <paramref name="tag"/>, as a chain.</summary>
    public ChannelWaiter<T>? DetachTagged(object tag)
    {
        ChannelWaiter<T>? chain = null;
        ChannelWaiter<T>? chainTail = null;
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
    public static void FailChain(ChannelWaiter<T>? chain, Func<Exception> exception)
    {
        while (chain is not null)
        {
            var next = chain.Next; // read before completion: a completed node may be recycled at once
            chain.SetException(exception());
            chain = next;
        }
    }

    /// <summary>The cancellation callback's entry point: remove the node if it is still queued.</summary>
    internal void OnTokenCancelled(ChannelWaiter<T> node)
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

    private void Remove(ChannelWaiter<T> node)
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
