namespace Braid.Lab.Web;

/// <summary>One reading of the server's thread pool while an endpoint was loaded.</summary>
/// <param name="TimeS">Seconds since the endpoint's load started, when the reading came back.</param>
/// <param name="PoolThreads">The pool's threads (<c>dotnet_thread_pool_thread_count</c>).</param>
/// <param name="QueueLength">Work items waiting in the pool's queues (<c>dotnet_thread_pool_queue_length</c>).</param>
/// <param name="ProcessThreads">The server process's OS threads (<c>/proc/PID/status</c>), null where unreadable.</param>
/// <param name="PollMs">How long the reading took: the server's pool serves <c>/metrics</c> too, so a starved pool answers late.</param>
public sealed record PoolSample(double TimeS, int PoolThreads, long QueueLength, int? ProcessThreads, double PollMs);
