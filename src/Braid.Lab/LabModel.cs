namespace Braid.Lab;

/// <summary>How the lab organises the same tasks: the execution models it compares.</summary>
public enum LabModel
{
    /// <summary>One task after another on the calling thread, with blocking I/O.</summary>
    Sequential,

    /// <summary>One dedicated OS thread per task, with blocking I/O.</summary>
    Threads,

    /// <summary>The .NET thread pool with blocking I/O, at most <see cref="LabOptions.Concurrency"/> tasks at a time.</summary>
    Pool,

    /// <summary>Worker processes of the same <c>braid</c> binary; the tasks are partitioned between them and results come back over pipes.</summary>
    Processes,

    /// <summary>async/await on the thread pool, every task started at once (unbounded).</summary>
    Async,

    /// <summary>async/await on the thread pool, at most <see cref="LabOptions.Concurrency"/> tasks at a time (Braid's bounded map).</summary>
    AsyncBounded,

    /// <summary>async/await on Braid's single-threaded event loop.</summary>
    Loop,
}
