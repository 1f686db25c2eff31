namespace Braid.Internal.Waiters;

/// <summary>
/// A singly-linked list of dequeued waiters, built under the owner's lock and completed after leaving
/// it, so that no waiter is completed while the lock is held. Allocates nothing.
/// </summary>
/// <typeparam name="T">The waiters' result type.</typeparam>
internal struct WaiterList<T>
{
    private Waiter<T>? _head;
    private Waiter<T>? _tail;

    /// <summary>How many nodes were added.</summary>
    public int Count { get; private set; }

    /// <summary>Appends a node that is in no queue.</summary>
    public void Add(Waiter<T> waiter)
    {
        waiter.Next = null;
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

    /// <summary>Completes every node with <paramref name="result"/>, in order; call it outside the lock.</summary>
    public readonly void SetResults(T result)
    {
        var node = _head;
        while (node is not null)
        {
            // Read the link first: once completed, the node may be recycled and reused at once.
            var next = node.Next;
            node.Next = null;
            node.SetResult(result);
            node = next;
        }
    }

    /// <summary>
    /// Fails every node, in order, each with its own exception from <paramref name="exception"/> (an exception
    /// instance is never shared between awaiters); call it outside the lock.
    /// </summary>
    public readonly void SetExceptions(Func<Exception> exception)
    {
        var node = _head;
        while (node is not null)
        {
            var next = node.Next;
            node.Next = null;
            node.SetException(exception());
            node = next;
        }
    }

    /// <summary>
    /// Fails every node, in order, as cancelled by its own <see cref="Waiter{T}.Token"/> (read before failing it):
    /// for nodes a releaser skipped because their token was already cancelled. Call it outside the lock.
    /// </summary>
    public readonly void SetCanceled()
    {
        var node = _head;
        while (node is not null)
        {
            var next = node.Next;
            node.Next = null;
            node.SetCanceled(node.Token);
            node = next;
        }
    }

    /// <summary>Completes every node with a result computed from the node (read before completing it); call it outside the lock.</summary>
    public readonly void SetResults<TState>(Func<Waiter<T>, TState, T> resultOf, TState state)
    {
        var node = _head;
        while (node is not null)
        {
            var next = node.Next;
            node.Next = null;
            node.SetResult(resultOf(node, state));
            node = next;
        }
    }

    /// <summary>Removes and returns the first node, or null; for owners that complete nodes one by one.</summary>
    public Waiter<T>? TakeFirst()
    {
        var node = _head;
        if (node is not null)
        {
            _head = node.Next;
            if (_head is null)
            {
                _tail = null;
            }

            node.Next = null;
            Count--;
        }

        return node;
    }
}
