using System.Diagnostics;
using Braid.Loop;

namespace Braid.Channels;

/// <summary>
/// The receive end of a memory channel (one clone of it). Receive with <see cref="ReceiveAsync"/> or
/// <c>await foreach</c>; copy with <see cref="Clone"/>; close with <see cref="Close"/> or <c>Dispose</c>.
/// When every receive clone is closed, senders fail with <see cref="BrokenResourceException"/>.
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class MemoryReceiveChannel<T> : IDisposable, IAsyncEnumerable<T>
{
    private readonly MemoryChannelState<T> _state;
    private bool _closed;

    internal MemoryReceiveChannel(MemoryChannelState<T> state)
    {
        _state = state;
    }

    /// <inheritdoc cref="MemorySendChannel{T}.Id"/>
    public long Id => _state.Id;

    /// <summary>Whether this clone was closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Receives the next item, waiting while the buffer is empty and a sender is open.</summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled receive took nothing.</param>
    /// <returns>The item.</returns>
    /// <exception cref="EndOfChannelException">Every send clone is closed and the buffer is empty.</exception>
    /// <exception cref="ClosedResourceException">This clone is closed, or was closed while the receive waited.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before an item was taken.</exception>
    /// <remarks>
    /// Completes synchronously, allocating nothing, when an item is buffered or a sender waits.
    /// Waiting receivers are served in FIFO order.
    /// </remarks>
    public ValueTask<T> ReceiveAsync(CancellationToken cancellationToken = default)
        => _state.ReceiveAsync(this, ref _closed, cancellationToken);

    /// <summary>Receives the next item if that needs no wait.</summary>
    /// <param name="item">The item, or <see langword="default"/>.</param>
    /// <returns><see langword="true"/> if an item was taken; <see langword="false"/> if none is there yet.</returns>
    /// <exception cref="EndOfChannelException">Every send clone is closed and the buffer is empty.</exception>
    /// <exception cref="ClosedResourceException">This clone is closed.</exception>
    /// <remarks>Never waits; always synchronous.</remarks>
    public bool TryReceive(out T item) => _state.TryReceive(ref _closed, out item);

    /// <summary>Opens another receive clone on the same channel; the channel's receive side stays open until every clone is closed.</summary>
    /// <returns>The new clone.</returns>
    /// <exception cref="ClosedResourceException">This clone is closed.</exception>
#pragma warning disable VSTHRD200 // The analyzer takes an async-enumerable return for an awaitable; Clone does not wait.
    public MemoryReceiveChannel<T> Clone()
#pragma warning restore VSTHRD200
    {
        _state.AddClone(sendSide: false, ref _closed);
        return new MemoryReceiveChannel<T>(_state);
    }

    /// <summary>
    /// Closes this clone: its waiting receives fail with <see cref="ClosedResourceException"/>; if it
    /// was the last open receive clone, the buffered items are dropped (nobody can receive them) and
    /// every waiting and later send fails with <see cref="BrokenResourceException"/>. Idempotent; never waits.
    /// </summary>
    public void Close() => _state.CloseReceiver(this, ref _closed);

    /// <summary>Closes this clone (<see cref="Close"/>).</summary>
    public void Dispose() => Close();

    /// <summary>
    /// Receives items until the end of the channel: the loop ends quietly when every sender is closed
    /// and the buffer is drained. Enumerating does not close this clone.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the next item (the loop throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The enumerator.</returns>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        => new Enumerator(this, cancellationToken);

    /// <inheritdoc cref="MemorySendChannel{T}.GetStatistics"/>
    public MemoryChannelStatistics GetStatistics() => _state.GetStatistics();

    private string DebuggerDisplay
    {
        get
        {
            var s = GetStatistics();
            return $"MemoryReceiveChannel #{Id}{(IsClosed ? " (closed)" : "")}: buffer {s.CurrentBufferUsed}/{s.MaxBufferSize}, senders {s.OpenSendChannels}, receivers {s.OpenReceiveChannels}, waiting send {s.TasksWaitingSend}, receive {s.TasksWaitingReceive}";
        }
    }

    private sealed class Enumerator(MemoryReceiveChannel<T> channel, CancellationToken cancellationToken) : IAsyncEnumerator<T>
    {
        public T Current { get; private set; } = default!;

        public ValueTask<bool> MoveNextAsync()
        {
            var pending = channel.ReceiveAsync(cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                Current = pending.Result;
                return new ValueTask<bool>(true);
            }

            return WaitAsync(pending);
        }

        public ValueTask DisposeAsync() => default;

        private async ValueTask<bool> WaitAsync(ValueTask<T> pending)
        {
            try
            {
                Current = await pending.ConfigureAwait(LoopSynchronizationContext.IsCurrent); // stays on a loop (rule 104)
                return true;
            }
            catch (EndOfChannelException)
            {
                return false;
            }
        }
    }
}
