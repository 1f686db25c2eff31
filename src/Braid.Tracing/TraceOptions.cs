namespace Braid.Tracing;

/// <summary>What <see cref="ProcessTracer"/> records.</summary>
public sealed class TraceOptions
{
    /// <summary>How long to trace; <see langword="null"/> to trace a started command until it exits (required with a process id). Default 10 s.</summary>
    public TimeSpan? Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Adds the TPL's task events (the causality profile): which task continued which. They cost the traced
    /// program dearly (up to 95% of async throughput on a task-heavy program), so they are off by default and
    /// the trace says so when they are on.
    /// </summary>
    public bool Causality { get; init; }

    /// <summary>
    /// Where to write a Chrome/Perfetto trace of the session (opens in <c>ui.perfetto.dev</c>), or
    /// <see langword="null"/> for none (the default): lock-contention and wait-handle waits as slices on their
    /// thread with its call site and stack, the pool's thread injections and Braid's events as instant markers,
    /// the pool's threads and queue length as counter tracks, and under <see cref="Causality"/> each await as
    /// an async slice with a flow to the thread its continuation ran on, written by <c>Braid.Diagnostics</c>'
    /// <c>ChromeTraceWriter</c> once the session stopped. The stream is left open; the trace is complete when
    /// the tracing call returns.
    /// </summary>
    public Stream? Timeline { get; init; }

    /// <summary>
    /// Called once the target's runtime has accepted the session, so events flow from then on (for a started
    /// command, after its runtime was resumed), on the tracing call's thread and before the duration starts;
    /// <see langword="null"/> for none. A benchmark waits on it to start the work it measures.
    /// </summary>
    public Action? Started { get; init; }
}
