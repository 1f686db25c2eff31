namespace Braid.Diagnostics;

/// <summary>One heartbeat of a <see cref="StarvationMonitor"/>: how late it ran and what the pool looked like then.</summary>
/// <param name="Offset">When the heartbeat ran, since the monitor started (on its <see cref="TimeProvider"/>).</param>
/// <param name="Lag">How much later than due the heartbeat ran on a pool thread: the time a new work item waited.</param>
/// <param name="QueueLength">Work items waiting in the thread pool (<c>dotnet.thread_pool.queue.length</c>).</param>
/// <param name="ThreadCount">Thread-pool threads (<c>dotnet.thread_pool.thread.count</c>).</param>
public sealed record StarvationSample(TimeSpan Offset, TimeSpan Lag, long QueueLength, long ThreadCount);
