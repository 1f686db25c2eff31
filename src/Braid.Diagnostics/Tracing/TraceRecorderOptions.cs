namespace Braid.Diagnostics.Tracing;

/// <summary>Settings of a <see cref="TraceRecorder"/>.</summary>
public sealed class TraceRecorderOptions
{
    /// <summary>
    /// Whether to record the runtime's task causality events (default <see langword="true"/>): what ran
    /// on each thread, the async methods and the awaits that hopped threads, the flow from where a
    /// continuation was scheduled to where it ran, and sync-over-async waits. They come from the TPL's
    /// event source, which then raises events for every task in the process: this is the
    /// <em>causality</em> mode of docs/diagnostics.md, costlier than Braid's own events. Without it the
    /// trace holds Braid's groups, children and waiters and the counters.
    /// </summary>
    public bool Causality { get; init; } = true;

    /// <summary>How often the thread pool's thread count and queue length are sampled (default 10 ms).</summary>
    public TimeSpan CounterInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// How many events the recorder keeps (default 1,000,000); later ones are counted in
    /// <see cref="TraceRecorder.DroppedEvents"/> and not recorded, so memory stays bounded.
    /// </summary>
    public int MaxEvents { get; init; } = 1_000_000;

    /// <summary>
    /// Where the recorder prints its notice when it starts with <see cref="Causality"/> on: what that
    /// mode costs, as measured (default <see cref="Console.Error"/>; <see cref="TextWriter.Null"/> to silence it).
    /// </summary>
    public TextWriter? Notices { get; init; }

    /// <summary>The clock of the timestamps and of the counter timer (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
