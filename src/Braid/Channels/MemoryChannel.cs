namespace Braid.Channels;

/// <summary>
/// Creates memory channels with Trio's semantics: a send end and a receive end that can each be
/// cloned, and that close when all their clones are closed.
/// </summary>
/// <remarks>
/// <para>Receivers see the end of the channel (<see cref="EndOfChannelException"/>, or the end of an
/// <c>await foreach</c>) once every send clone is closed and the buffer is drained. Senders see
/// <see cref="BrokenResourceException"/> once every receive clone is closed. Using a clone after
/// closing it throws <see cref="ClosedResourceException"/>.</para>
/// <para>Waiters are served first-come, first-served; a cancelled send sent nothing, a cancelled
/// receive took nothing; completions never run a waiter's continuation inline.</para>
/// </remarks>
public static class MemoryChannel
{
    /// <summary>The capacity of a channel whose buffer is never full: sends never wait.</summary>
    public const int Unbounded = int.MaxValue;

    /// <summary>Creates a channel and returns its two ends.</summary>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <param name="capacity">
    /// How many items the buffer holds: 0 for a rendezvous (a send completes only when a receiver
    /// takes the item), N for a bounded buffer, <see cref="Unbounded"/> for no limit.
    /// </param>
    /// <returns>The send end and the receive end, each the first of its clones.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public static (MemorySendChannel<T> Send, MemoryReceiveChannel<T> Receive) Create<T>(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        var state = new MemoryChannelState<T>(capacity);
        return (new MemorySendChannel<T>(state), new MemoryReceiveChannel<T>(state));
    }
}
