using System.Diagnostics;

namespace Braid.Channels;

/// <summary>
/// The send end of a memory channel (one clone of it). Create with <see cref="MemoryChannel.Create{T}"/>;
/// copy with <see cref="Clone"/>; close with <see cref="Close"/> or <c>Dispose</c>. When every send
/// clone is closed, receivers drain the buffer and then see the end of the channel.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class MemorySendChannel<T> : IDisposable
{
    private readonly MemoryChannelState<T> _state;
    private bool _closed;

    internal MemorySendChannel(MemoryChannelState<T> state)
    {
        _state = state;
    }

    /// <summary>The channel's stable, process-wide unique id, shared by every clone of both ends.</summary>
    public long Id => _state.Id;

    /// <summary>Whether this clone was closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Sends an item, waiting while the buffer is full (with capacity 0, until a receiver takes it).</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled send sent nothing.</param>
    /// <returns>A task that completes when the item is in the buffer or in a receiver's hands.</returns>
    /// <exception cref="ClosedResourceException">This clone is closed, or was closed while the send waited.</exception>
    /// <exception cref="BrokenResourceException">Every receive clone is closed (before or during the wait); the item was not sent.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the item was sent.</exception>
    /// <remarks>
    /// Completes synchronously, allocating nothing, when a receiver waits or the buffer has room.
    /// A waiting receiver gets the item directly; waiting senders are admitted in FIFO order.
    /// </remarks>
    public ValueTask SendAsync(T item, CancellationToken cancellationToken = default)
        => _state.SendAsync(this, ref _closed, item, cancellationToken);

    /// <summary>Sends an item if that needs no wait.</summary>
    /// <param name="item">The item.</param>
    /// <returns><see langword="true"/> if sent; <see langword="false"/> if the buffer is full and no receiver waits.</returns>
    /// <exception cref="ClosedResourceException">This clone is closed.</exception>
    /// <exception cref="BrokenResourceException">Every receive clone is closed.</exception>
    /// <remarks>Never waits; always synchronous.</remarks>
    public bool TrySend(T item) => _state.TrySend(ref _closed, item);

    /// <summary>Opens another send clone on the same channel; the channel's send side stays open until every clone is closed.</summary>
    /// <returns>The new clone.</returns>
    /// <exception cref="ClosedResourceException">This clone is closed.</exception>
    public MemorySendChannel<T> Clone()
    {
        _state.AddClone(sendSide: true, ref _closed);
        return new MemorySendChannel<T>(_state);
    }

    /// <summary>
    /// Closes this clone: its waiting sends fail with <see cref="ClosedResourceException"/> (their items
    /// were not sent); if it was the last open send clone, waiting receivers see the end of the channel
    /// once the buffer is empty. Idempotent; never waits.
    /// </summary>
    public void Close() => _state.CloseSender(this, ref _closed);

    /// <summary>Closes this clone (<see cref="Close"/>).</summary>
    public void Dispose() => Close();

    /// <summary>A consistent snapshot of the channel's counters (shared by every clone).</summary>
    /// <returns>The statistics.</returns>
    public MemoryChannelStatistics GetStatistics() => _state.GetStatistics();

    private string DebuggerDisplay
    {
        get
        {
            var s = GetStatistics();
            return $"MemorySendChannel #{Id}{(IsClosed ? " (closed)" : "")}: buffer {s.CurrentBufferUsed}/{s.MaxBufferSize}, senders {s.OpenSendChannels}, receivers {s.OpenReceiveChannels}, waiting send {s.TasksWaitingSend}, receive {s.TasksWaitingReceive}";
        }
    }
}
