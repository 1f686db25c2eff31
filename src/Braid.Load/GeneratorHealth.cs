namespace Braid.Load;

/// <summary>
/// What the generator itself cost and whether it kept up, so a slow run is not blamed on the server when
/// the generator was the bottleneck (docs/design.md rule 142).
/// </summary>
/// <param name="CpuMs">This process's CPU time (user + system, all threads) over the measured part.</param>
/// <param name="CpuUtilisation">That CPU time over the measured wall time times the processor count: 1 is every core busy.</param>
/// <param name="ProcessorCount">Processors the process may use.</param>
/// <param name="CpuUsPerRequest">CPU microseconds per completed request (SSE: per event).</param>
/// <param name="LateSends">Open model: sends the scheduler started more than the tolerance after their intended time.</param>
/// <param name="StartLag">Open model: how late the scheduler handed each send over (actual minus intended), before any wait for a connection; null for the closed model.</param>
/// <param name="IsBottleneck">Whether the generator, not the server, limited this run.</param>
/// <param name="Verdict">One sentence: the generator kept up, or why it did not, with the figures.</param>
public sealed record GeneratorHealth(double CpuMs, double CpuUtilisation, int ProcessorCount, double CpuUsPerRequest, long LateSends, LatencyPercentiles? StartLag, bool IsBottleneck, string Verdict);
