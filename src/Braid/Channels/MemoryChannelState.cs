using System.Diagnostics;
using Braid.Internal;

namespace Braid.Channels;

/// <summary>
/// The shared state of one memory channel (Trio's <c>MemoryChannelState</c>): the buffer, the waiting
/// senders and receivers, and how many clones of each end are open.
/// </summary>
/// <remarks>
/// Invariants (under the lock): receivers wait only while the buffer is empty; senders wait only while
/// the buffer is full; with no open receiver the buffer is empty and no sender waits; with no open
/// sender no receiver waits.
/// </remarks>
internal sealed class MemoryChannelState<T>
{
    private readonly Lock _sync = new();
    private readonly ChannelWaiterList<T> _senders;
    private readonly ChannelWaiterList<T> _receivers;
    private FifoStorage<T> _buffer;
    private int _peak;

    public MemoryChannelState(int capacity)
    {
        Capacity = capacity;
        Id = IdGenerator.Next();
        _buffer = new FifoStorage<T>(Math.Min(capacity, 16));
        _senders = new ChannelWaiterList<T>(_sync, Id);
        _receivers = new ChannelWaiterList<T>(_sync, Id);
        OpenSenders = 1;
        OpenReceivers = 1;
    }

    public long Id { get; }

    public int Capacity { get; }

    public int OpenSenders { get; private set; }

    public int OpenReceivers { get; private set; }

    public ValueTask SendAsync(object clone, ref bool cloneClosed, T item, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        ChannelWaiter<T>? receiver;
        lock (_sync)
        {
            if (cloneClosed)
            {
                return ValueTask.FromException(new ClosedResourceException("This send channel was closed."));
            }

            if (OpenReceivers == 0)
            {
                return ValueTask.FromException(new BrokenResourceException("Every receive channel was closed."));
            }

            receiver = _receivers.Count > 0 ? _receivers.DequeueLive() : null;
            if (receiver is null)
            {
                if (_buffer.Count < Capacity)
                {
                    AddLocked(item);
                    return default;
                }

                var sender = _senders.Rent();
                sender.Item = item;
                sender.Tag = clone;
                _senders.Enqueue(sender, cancellationToken);
                return new ValueTask(sender, sender.Version);
            }
        }

        receiver.SetResult(item);
        return default;
    }

    public bool TrySend(ref bool cloneClosed, T item)
    {
        ChannelWaiter<T>? receiver;
        lock (_sync)
        {
            if (cloneClosed)
            {
                throw new ClosedResourceException("This send channel was closed.");
            }

            if (OpenReceivers == 0)
            {
                throw new BrokenResourceException("Every receive channel was closed.");
            }

            receiver = _receivers.Count > 0 ? _receivers.DequeueLive() : null;
            if (receiver is null)
            {
                if (_buffer.Count >= Capacity)
                {
                    return false;
                }

                AddLocked(item);
                return true;
            }
        }

        receiver.SetResult(item);
        return true;
    }

    public ValueTask<T> ReceiveAsync(object clone, ref bool cloneClosed, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        ChannelWaiter<T>? sender;
        T item;
        lock (_sync)
        {
            if (cloneClosed)
            {
                return ValueTask.FromException<T>(new ClosedResourceException("This receive channel was closed."));
            }

            if (!TryTakeLocked(out item, out sender))
            {
                if (OpenSenders == 0)
                {
                    return ValueTask.FromException<T>(new EndOfChannelException());
                }

                var receiver = _receivers.Rent();
                receiver.Tag = clone;
                _receivers.Enqueue(receiver, cancellationToken);
                return new ValueTask<T>(receiver, receiver.Version);
            }
        }

        sender?.SetResult(default!);
        return new ValueTask<T>(item);
    }

    public bool TryReceive(ref bool cloneClosed, out T item)
    {
        ChannelWaiter<T>? sender;
        lock (_sync)
        {
            if (cloneClosed)
            {
                throw new ClosedResourceException("This receive channel was closed.");
            }

            if (!TryTakeLocked(out item, out sender))
            {
                if (OpenSenders == 0)
                {
                    throw new EndOfChannelException();
                }

                return false;
            }
        }

        sender?.SetResult(default!);
        return true;
    }

    /// <summary>Opens one more clone of an end; fails if the clone being copied is closed.</summary>
    public void AddClone(bool sendSide, ref bool cloneClosed)
    {
        lock (_sync)
        {
            if (cloneClosed)
            {
                throw new ClosedResourceException("A closed channel cannot be cloned.");
            }

            if (sendSide)
            {
                OpenSenders++;
            }
            else
            {
                OpenReceivers++;
            }
        }
    }

    /// <summary>Closes one send clone: its own waiters fail; the last one ends the channel for receivers.</summary>
    public void CloseSender(object clone, ref bool cloneClosed)
    {
        ChannelWaiter<T>? ownWaiters;
        ChannelWaiter<T>? endedReceivers = null;
        lock (_sync)
        {
            if (cloneClosed)
            {
                return;
            }

            cloneClosed = true;
            ownWaiters = _senders.DetachTagged(clone);
            if (--OpenSenders == 0)
            {
                Debug.Assert(_senders.Count == 0, "Every waiting sender belongs to an open clone.");
                endedReceivers = _receivers.DetachAll();
            }
        }

        ChannelWaiterList<T>.FailChain(ownWaiters, static () => new ClosedResourceException("The send channel was closed while this send waited; the item was not sent."));
        ChannelWaiterList<T>.FailChain(endedReceivers, static () => new EndOfChannelException());
    }

    /// <summary>Closes one receive clone: its own waiters fail; the last one breaks the channel for senders.</summary>
    public void CloseReceiver(object clone, ref bool cloneClosed)
    {
        ChannelWaiter<T>? ownWaiters;
        ChannelWaiter<T>? brokenSenders = null;
        lock (_sync)
        {
            if (cloneClosed)
            {
                return;
            }

            cloneClosed = true;
            ownWaiters = _receivers.DetachTagged(clone);
            if (--OpenReceivers == 0)
            {
                // Trio's rule: nobody can ever receive these, so the buffer is dropped with the channel.
                _buffer = new FifoStorage<T>(1);
                brokenSenders = _senders.DetachAll();
            }
        }

        ChannelWaiterList<T>.FailChain(ownWaiters, static () => new ClosedResourceException("The receive channel was closed while this receive waited."));
        ChannelWaiterList<T>.FailChain(brokenSenders, static () => new BrokenResourceException("Every receive channel was closed; the item was not sent."));
    }

    public MemoryChannelStatistics GetStatistics()
    {
        lock (_sync)
        {
            return new MemoryChannelStatistics(_buffer.Count, Capacity, _peak, OpenSenders, OpenReceivers, _senders.Count, _receivers.Count);
        }
    }

    private void AddLocked(T item)
    {
        _buffer.Add(item);
        if (_buffer.Count > _peak)
        {
            _peak = _buffer.Count;
        }
    }

    // Takes from the buffer (refilling it from the first waiting sender), or straight from a waiting
    // sender when the buffer is empty (capacity 0: the rendezvous).
    private bool TryTakeLocked(out T item, out ChannelWaiter<T>? sender)
    {
        if (_buffer.Count > 0)
        {
            item = _buffer.Take();
            sender = _senders.Count > 0 ? _senders.DequeueLive() : null;
            if (sender is not null)
            {
                AddLocked(sender.Item);
            }

            return true;
        }

        sender = _senders.Count > 0 ? _senders.DequeueLive() : null;
        if (sender is not null)
        {
            item = sender.Item;
            return true;
        }

        item = default!;
        return false;
    }
}
