using System.Threading.Tasks.Sources;

namespace Braid.Channels;

/// <summary>
/// One task waiting on a queue or a channel: a pooled <see cref="IValueTaskSource{T}"/> that lives in
/// a <see cref="ChannelWaiterList{T}"/>. A getter completes with the item it was handed; a putter carries its
/// item in <see cref="Item"/> and completes with <see langword="default"/>.
/// </summary>
/// <remarks>
/// Every change of <see cref="IsQueued"/>, <see cref="Next"/> and <see cref="Prev"/> happens under the
/// owner's lock. Whoever removes a queued node from its list owns its completion: the hand-off path
/// (the item) or the cancellation callback (the cancellation) — never both, so a cancelled waiter
/// never takes an item and an item is never given to a waiter that then reports cancellation.
/// A node goes back to its pool only when no cancellation callback can still run against it.
/// </remarks>
internal sealed class ChannelWaiter<T> : IValueTaskSource<T>, IValueTaskSource
{
    private static readonly Action<object?> CancelCallback = static state =>
    {
        var waiter = (ChannelWaiter<T>)state!;
        waiter._list.OnTokenCancelled(waiter);
    };

    private readonly ChannelWaiterList<T> _list;
    private ManualResetValueTaskSourceCore<T> _core;
    private CancellationTokenRegistration _registration;
    private bool _poolable;

    public ChannelWaiter(ChannelWaiterList<T> list)
    {
        _list = list;
        _core.RunContinuationsAsynchronously = true;
    }

    /// <summary>The next node in the list (or in a detached chain).</summary>
    internal ChannelWaiter<T>? Next;

    /// <summary>The previous node in the list.</summary>
    internal ChannelWaiter<T>? Prev;

    /// <summary>Whether the node is in its list; only the remover completes it.</summary>
    internal bool IsQueued;

    /// <summary>A putter's item, not yet added to anything.</summary>
    internal T Item = default!;

    /// <summary>The channel clone the waiter waits through, so closing that clone can find it.</summary>
    internal object? Tag;

    /// <summary>The token the waiter registered, checked again at hand-off.</summary>
    internal CancellationToken Token;

    /// <summary>The version of the current use, for the <see cref="ValueTask"/> that wraps the node.</summary>
    public short Version => _core.Version;

    /// <summary>Registers the cancellation callback; called under the owner's lock after enqueuing.</summary>
    /// <remarks>The lock is re-entrant: an already cancelled token runs the callback right here.</remarks>
    public void Register(CancellationToken cancellationToken)
    {
        Token = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(CancelCallback, this);
        }
    }

    /// <summary>Completes a removed node with its result (an item for a getter, default for a putter).</summary>
    public void SetResult(T value)
    {
        _poolable = Unhook();
        _core.SetResult(value);
    }

    /// <summary>Completes a removed node with a failure (shutdown, end of channel, broken, closed).</summary>
    public void SetException(Exception exception)
    {
        _poolable = Unhook();
        _core.SetException(exception);
    }

    /// <summary>Completes a removed node whose token was found cancelled at hand-off.</summary>
    public void SetCanceled()
    {
        _poolable = Unhook();
        _core.SetException(new OperationCanceledException(Token));
    }

    /// <summary>Completes a node removed by its own cancellation callback.</summary>
    internal void SetCanceledFromCallback()
    {
        // The callback is running now and will not run again: the node can be reused safely.
        _poolable = true;
        _core.SetException(new OperationCanceledException(Token));
    }

    // True when the cancellation callback will never run: then the node may be pooled again.
    private bool Unhook() => !Token.CanBeCanceled || _registration.Unregister();

    public T GetResult(short token)
    {
        EnsureVersion(token);
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        EnsureVersion(token);
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    private void EnsureVersion(short token)
    {
        if (token != _core.Version)
        {
            throw new InvalidOperationException("A ValueTask from a queue or channel was awaited twice or after it was consumed.");
        }
    }

    private void Recycle()
    {
        if (!_poolable)
        {
            return;
        }

        _poolable = false;
        _core.Reset();
        Item = default!;
        Tag = null;
        Token = default;
        _registration = default;
        _list.Return(this);
    }
}
