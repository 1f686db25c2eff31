namespace Braid.Pipelines;

/// <summary>A snapshot of one stage's counters (the source is the first stage, named <c>source</c>).</summary>
/// <param name="Name">The stage's name.</param>
/// <param name="Workers">The configured number of workers.</param>
/// <param name="ActiveWorkers">Workers still running; 0 once the stage has stopped.</param>
/// <param name="ItemsIn">Items the stage has taken from its input.</param>
/// <param name="ItemsOut">Items the stage has written to its output.</param>
/// <param name="ItemsFailed">Items the stage's function failed on after every retry.</param>
/// <param name="Retries">Retries made (attempts after the first).</param>
/// <param name="QueueDepth">Items waiting in the stage's input buffer.</param>
/// <param name="BusyTime">Time the workers spent processing, summed over workers.</param>
/// <param name="Elapsed">Time since the run started, as in <see cref="PipelineStatistics.Elapsed"/> (the run's duration in the final snapshot).</param>
public sealed record StageStatistics(
    string Name,
    int Workers,
    int ActiveWorkers,
    long ItemsIn,
    long ItemsOut,
    long ItemsFailed,
    long Retries,
    long QueueDepth,
    TimeSpan BusyTime,
    TimeSpan Elapsed)
{
    /// <summary>Items out per second since the run started (0 before any time has passed).</summary>
    public double Throughput => Elapsed > TimeSpan.Zero ? ItemsOut / Elapsed.TotalSeconds : 0;
}
