using Braid.Load;

namespace Braid.Lab.Web;

/// <summary>One endpoint under the experiment's load: what the generator measured and what the server's pool did.</summary>
/// <param name="Endpoint">The endpoint, such as <c>async</c>.</param>
/// <param name="Load">The load generator's result (throughput, corrected and uncorrected latency, errors, its own health).</param>
/// <param name="PoolSamples">The server's pool over time, in order.</param>
/// <param name="ServerStartMs">How long the endpoint's fresh server process took to print its URL.</param>
/// <param name="ServerProcessId">The id the endpoint's server process had.</param>
/// <param name="ServerExited">Whether the server process was gone once the endpoint was done (killed with its tree and waited for).</param>
public sealed record WebEndpointResult(string Endpoint, LoadResult Load, IReadOnlyList<PoolSample> PoolSamples, double ServerStartMs, int ServerProcessId, bool ServerExited)
{
    /// <summary>The most pool threads read.</summary>
    public int PeakPoolThreads => PoolSamples.Count == 0 ? 0 : PoolSamples.Max(s => s.PoolThreads);

    /// <summary>The longest pool queue read.</summary>
    public long PeakQueueLength => PoolSamples.Count == 0 ? 0 : PoolSamples.Max(s => s.QueueLength);

    /// <summary>The slowest reading of the pool, in ms.</summary>
    public double SlowestPollMs => PoolSamples.Count == 0 ? 0 : PoolSamples.Max(s => s.PollMs);
}
