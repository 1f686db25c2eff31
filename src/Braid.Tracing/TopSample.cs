namespace Braid.Tracing;

/// <summary>One second of a process's async vital signs, as <c>braid top</c> shows them.</summary>
/// <param name="Elapsed">Since watching began.</param>
/// <param name="PoolThreads">Thread-pool threads.</param>
/// <param name="QueueLength">Work items waiting in the pool's queues.</param>
/// <param name="WorkItemsPerSecond">Work items the pool completed in the last second.</param>
/// <param name="ContentionPerSecond">Contended lock acquisitions in the last second.</param>
/// <param name="GcHeapMegabytes">The GC heap's size, in MB.</param>
/// <param name="AllocationMegabytesPerSecond">Bytes allocated in the last second, in MB.</param>
/// <param name="BlockingWaitsPerSecond">Wait-handle waits that ended in the last second.</param>
/// <param name="BraidChildrenStarted">Task-group children started in the last second (from Braid's event source).</param>
/// <param name="BraidChildrenRunning">Children started minus finished since watching began (children already running then are not counted).</param>
/// <param name="BraidWaitersQueued">Waiters queued on Braid's primitives in the last second.</param>
public sealed record TopSample(
    TimeSpan Elapsed,
    long PoolThreads,
    long QueueLength,
    double WorkItemsPerSecond,
    double ContentionPerSecond,
    double GcHeapMegabytes,
    double AllocationMegabytesPerSecond,
    long BlockingWaitsPerSecond,
    long BraidChildrenStarted,
    long BraidChildrenRunning,
    long BraidWaitersQueued);
