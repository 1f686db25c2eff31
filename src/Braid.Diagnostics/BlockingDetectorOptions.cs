namespace Braid.Diagnostics;

/// <summary>Settings of a <see cref="BlockingDetector"/>.</summary>
public sealed class BlockingDetectorOptions
{
    /// <summary>
    /// Called for each blocking call seen, on the thread that saw it: the blocking thread itself for
    /// sync-over-async (just before it blocks), the runtime's event thread for contention and wait
    /// handles. Keep it short; an exception it throws is swallowed (docs/design.md rule 102).
    /// </summary>
    public Action<BlockingEvent>? OnBlocked { get; init; }

    /// <summary>
    /// Whether to watch wait handles and <c>Monitor.Wait</c> too (default <see langword="false"/>). The
    /// runtime's own threads (the thread pool's gate thread, idle workers) wait on handles all the time
    /// and the event names neither the handle nor the caller, so only waits of at least
    /// <see cref="WaitHandleThreshold"/> are kept, and the kind is opt-in.
    /// </summary>
    public bool IncludeWaitHandles { get; init; }

    /// <summary>The shortest wait-handle wait that is reported (default 50 ms).</summary>
    public TimeSpan WaitHandleThreshold { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The clock that times sync-over-async waits (default <see cref="TimeProvider.System"/>). The
    /// runtime's events carry their own durations and timestamps.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
