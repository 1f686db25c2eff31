namespace Braid.Pipelines;

/// <summary>Where a stage's workers run.</summary>
public enum WorkerKind
{
    /// <summary>
    /// Workers are async tasks on the thread pool. Right for asynchronous functions and for short
    /// synchronous ones; a function that blocks or computes for long starves the pool.
    /// </summary>
    Tasks,

    /// <summary>
    /// Each worker owns a dedicated thread, and every continuation of that worker runs on it. Right
    /// for blocking or CPU-bound functions: they never hold a thread-pool thread.
    /// </summary>
    DedicatedThreads,
}
