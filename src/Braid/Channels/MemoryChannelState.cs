using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Channels;

/// <summary>
/// The shared state of one memory channel (Trio's <c>MemoryChannelState</c>): the buffer, the waiting
/// senders and receivers, and how many clones of each end are open.
/// </summary>
/// <remarks>
/// Invariants (under the lock): receivers wait only while the buffer is empty; senders wait only while
/// the buffer is full; with no open receiver the buffer is empty and no sender waits; with no open
/// sender no receiver waits. Waiters use the shared protocol of <see cref="Waiter{T}"/>; a waiter's
/// <see cref="Waiter{T}.State"/> is the clone it waits through, so closing that clone finds it.
/// </remarks>
internal sealed class MemoryChannelState<T>
{
    private const string SenderName = "MemoryChannel.Sender";
    private const string ReceiverName = "MemoryChannel.Receiver";

    private readonly Lock _sync = new();
    private readonly WaiterQueue<T> _senders;
    private readonly WaiterQueue<T> _receivers;
    private readonly WaiterPool<T> _senderPool = new(completesAtOnce: true);
    private readonly WaiterPool<T> _receiverPool = new(completesAtOnce: true);
    private FifoStorage<T> _buffer;
    private int _peak;

    public MemoryChannelState(int capacity)
    {
        Capacity = capacity;
        Id = IdGenerator.Next();
        _buffer = new FifoStorage<T>(Math.Min(capacity, 16));
        _senders = new WaiterQueue<T>(_sync, Id, SenderName);
        _receivers = new WaiterQueue<T>(_sync, Id, ReceiverName);
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

        Waiter<T>? receiver;
        Waiter<T>? sender = null;
        ValueTask pending = default;
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

            receiver = NextLocked(_receivers, ReceiverName);
            if (receiver is null)
            {
                if (_buffer.Count < Capacity)
                {
                    AddLocked(item);
                    return default;
                }

                sender = _senderPool.Rent();
                sender.Item = item;
                sender.State = clone;
                sender.Token = cancellationToken;
                _senders.Enqueue(sender);
                WaiterEvents.Queued(Id, SenderName, sender);
                pending = sender.VoidTask;
            }
        }

        if (sender is not null)
        {
            sender.Arm(_senders, cancellationToken); // outside the lock: an already cancelled token calls back at once
            return pending;
        }

        receiver!.SetResult(item);
        return default;
    }

    public bool TrySend(ref bool cloneClosed, T item)
    {
        Waiter<T>? receiver;
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

            receiver = NextLocked(_receivers, ReceiverName);
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

        Waiter<T>? sender;
        T item;
        Waiter<T>? receiver = null;
        ValueTask<T> pending = default;
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

                receiver = _receiverPool.Rent();
                receiver.State = clone;
                receiver.Token = cancellationToken;
                _receivers.Enqueue(receiver);
                WaiterEvents.Queued(Id, ReceiverName, receiver);
                pending = receiver.Task;
            }
        }

        if (receiver is not null)
        {
            receiver.Arm(_receivers, cancellationToken); // outside the lock: an already cancelled token calls back at once
            return pending;
        }

        sender?.SetResult(default!);
        return new ValueTask<T>(item);
    }

    public bool TryReceive(ref bool cloneClosed, out T item)
    {
        Waiter<T>? sender;
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
        var ownWaiters = default(WaiterList<T>);
        var endedReceivers = default(WaiterList<T>);
        lock (_sync)
        {
            if (cloneClosed)
            {
                return;
            }

            cloneClosed = true;
            _senders.DrainTo(ref ownWaiters, clone);
            if (--OpenSenders == 0)
            {
                Debug.Assert(_senders.Count == 0, "Every waiting sender belongs to an open clone.");
                _receivers.DrainTo(ref endedReceivers);
            }
        }

        ownWaiters.SetExceptions(static () => new ClosedResourceException("The send channel was closed while this send waited; the item was not sent."));
        endedReceivers.SetExceptions(static () => new EndOfChannelException());
    }

    /// <summary>Closes one receive clone: its own waiters fail; the last one breaks the channel for senders.</summary>
    public void CloseReceiver(object clone, ref bool cloneClosed)
    {
        var ownWaiters = default(WaiterList<T>);
        var brokenSenders = default(WaiterList<T>);
        lock (_sync)
        {
            if (cloneClosed)
            {
                return;
            }

            cloneClosed = true;
            _receivers.DrainTo(ref ownWaiters, clone);
            if (--OpenReceivers == 0)
            {
                // Trio's rule: nobody can ever receive these, so the buffer is dropped with the channel.
                _buffer = new FifoStorage<T>(1);
                _senders.DrainTo(ref brokenSenders);
            }
        }

        ownWaiters.SetExceptions(static () => new ClosedResourceException("The receive channel was closed while this receive waited."));
        brokenSenders.SetExceptions(static () => new BrokenResourceException("Every receive channel was closed; the item was not sent."));
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
    private bool TryTakeLocked(out T item, out Waiter<T>? sender)
    {
        if (_buffer.Count > 0)
        {
            item = _buffer.Take();
            sender = NextLocked(_senders, SenderName);
            if (sender is not null)
            {
                AddLocked(sender.Item);
            }

            return true;
        }

        sender = NextLocked(_senders, SenderName);
        if (sender is not null)
        {
            item = sender.Item;
            return true;
        }

        item = default!;
        return false;
    }

    // The longest-waiting node whose token is not cancelled, or null; cancelled ones are skipped and failed.
    private Waiter<T>? NextLocked(WaiterQueue<T> waiters, string name)
    {
        if (waiters.IsEmpty)
        {
            return null;
        }

        var waiter = waiters.DequeueLive(out var skipped);
        WaiterEvents.Cancelled(Id, name, skipped);
        if (waiter is not null)
        {
            WaiterEvents.Released(Id, name);
        }

        return waiter;
    }
}
