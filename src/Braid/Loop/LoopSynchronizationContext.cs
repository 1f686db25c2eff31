namespace Braid.Loop;

/// <summary>The synchronization context installed on a loop's thread: every post becomes a step.</summary>
internal sealed class LoopSynchronizationContext(AsyncLoop loop) : SynchronizationContext
{
    public AsyncLoop Loop { get; } = loop;

    /// <summary>
    /// Whether the calling code runs on an <see cref="AsyncLoop"/>. Library code passes it to
    /// <c>ConfigureAwait</c> for its own bookkeeping: on a loop, a <c>ConfigureAwait(false)</c>
    /// continuation would hop to the thread pool, where the loop cannot see it and an autojumping
    /// clock could move time before the bookkeeping lands (design rule 104).
    /// </summary>
    public static bool IsCurrent => Current is LoopSynchronizationContext;

    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (!Loop.TryPost(d, state))
        {
            // The loop has ended: the continuation still runs, on the thread pool, so nothing is lost.
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.d(s.state), (d, state), preferLocal: false);
        }
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Loop.IsLoopThread)
        {
            d(state);
            return;
        }

        throw new NotSupportedException("Send to an AsyncLoop from another thread would block that thread on the loop; use FromThread.Run instead.");
    }

    // The same context, not a copy: a copy would not be recognised as the loop when a continuation
    // checks whether it may run inline.
    public override SynchronizationContext CreateCopy() => this;
}
