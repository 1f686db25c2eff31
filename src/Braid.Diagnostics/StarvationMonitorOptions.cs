namespace Braid.Diagnostics;

/// <summary>Settings of a <see cref="StarvationMonitor"/>.</summary>
public sealed class StarvationMonitorOptions
{
    /// <summary>
    /// How often a heartbeat work item is queued to the thread pool (default 50 ms). The next one is
    /// queued only after the last has run, so a starved pool holds at most one.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// A heartbeat at least this late means the pool is starved (default 250 ms): a work item queued
    /// then waited that long for a thread.
    /// </summary>
    public TimeSpan LagThreshold { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How many heartbeats <see cref="StarvationReport.Samples"/> keeps, the latest (default 1200).</summary>
    public int MaxSamples { get; init; } = 1200;

    /// <summary>
    /// The blocking detector's settings; its <see cref="BlockingDetectorOptions.TimeProvider"/> is
    /// replaced by <see cref="TimeProvider"/>. The monitor's detector skips sync-over-async waits off the
    /// thread pool (they hold no pool thread); contention and wait handles come without the thread's
    /// kind and are all kept.
    /// </summary>
    public BlockingDetectorOptions Blocking { get; init; } = new();

    /// <summary>
    /// Called on a pool thread after each heartbeat, with its sample (for logging or metrics). An
    /// exception it throws is swallowed (docs/design.md rule 102).
    /// </summary>
    public Action<StarvationSample>? OnHeartbeat { get; init; }

    /// <summary>
    /// Called once, on a pool thread, with the verdict at that moment, the first time a heartbeat is
    /// at least <see cref="LagThreshold"/> late. An exception it throws is swallowed.
    /// </summary>
    public Action<StarvationReport>? OnStarved { get; init; }

    /// <summary>The clock of the heartbeat and of the report (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
