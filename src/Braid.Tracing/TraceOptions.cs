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
}
