namespace Braid.Channels;

/// <summary>A snapshot of a <see cref="WorkerPool{T}"/>'s counters.</summary>
/// <param name="Workers">How many workers the pool runs.</param>
/// <param name="Busy">Workers running a handler now.</param>
/// <param name="Queued">Items waiting in the queue.</param>
/// <param name="Handled">Items whose handler completed successfully.</param>
/// <param name="Failed">Items whose handler threw (kept in <see cref="WorkerPool{T}.Failures"/>).</param>
/// <param name="Cancelled">Items whose handler was cancelled by an immediate shutdown.</param>
/// <param name="IsShutDown">Whether a shutdown was requested.</param>
public readonly record struct WorkerPoolStatistics(
    int Workers,
    int Busy,
    int Queued,
    long Handled,
    long Failed,
    long Cancelled,
    bool IsShutDown);
