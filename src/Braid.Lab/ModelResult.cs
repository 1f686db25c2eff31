namespace Braid.Lab;

/// <summary>
/// One model's measurements on one run of the lab. In-process figures are deltas of this process over
/// the model's run; for the processes model the workers' own CPU time, context switches and
/// allocations are added in (and listed per worker in <see cref="Workers"/>).
/// </summary>
public sealed record ModelResult
{
    /// <summary>The model's name, such as <c>async-bounded</c>.</summary>
    public required string Model { get; init; }

    /// <summary><c>completed</c>, <c>cancelled</c> (Ctrl-C: what ran is kept) or <c>failed</c> (the model itself broke; failed tasks do not fail a model).</summary>
    public required string Status { get; init; }

    /// <summary>What went wrong, or what the model could not do, or null.</summary>
    public string? Error { get; init; }

    /// <summary>How this model is run, in one sentence.</summary>
    public string Description { get; init; } = "";

    /// <summary>Wall time from the first task's start request to the last task's end (and the store flushed), in milliseconds.</summary>
    public double WallMs { get; init; }

    /// <summary>The wall time of every repeat, in order; the reported run is the median one.</summary>
    public IReadOnlyList<double> RepeatWallMs { get; init; } = [];

    /// <summary>Tasks completed per second of wall time.</summary>
    public double ThroughputPerSecond { get; init; }

    /// <summary>Sequential wall time divided by this model's, or null when sequential did not run.</summary>
    public double? SpeedupOverSequential { get; init; }

    /// <summary>Median per-task latency (task start to task end), in milliseconds.</summary>
    public double LatencyP50Ms { get; init; }

    /// <summary>95th percentile per-task latency, in milliseconds.</summary>
    public double LatencyP95Ms { get; init; }

    /// <summary>99th percentile per-task latency, in milliseconds.</summary>
    public double LatencyP99Ms { get; init; }

    /// <summary>Largest per-task latency, in milliseconds.</summary>
    public double LatencyMaxMs { get; init; }

    /// <summary>The model's CPU time in user mode, in milliseconds: getrusage of this process without <see cref="RuntimeCpuMs"/>, plus the workers' own.</summary>
    public double UserCpuMs { get; init; }

    /// <summary>The model's CPU time in kernel mode, in milliseconds, measured as <see cref="UserCpuMs"/> is.</summary>
    public double SystemCpuMs { get; init; }

    /// <summary>
    /// CPU time (user and kernel) of the runtime's tiered-compilation thread and the lab's sampler
    /// during the model, in milliseconds: not the model's work, so left out of <see cref="UserCpuMs"/>
    /// and <see cref="SystemCpuMs"/>.
    /// </summary>
    public double RuntimeCpuMs { get; init; }

    /// <summary>Time the runtime spent compiling methods during the model, on any thread, in milliseconds (<c>JitInfo.GetCompilationTime</c>).</summary>
    public double JitMs { get; init; }

    /// <summary>This process's peak resident memory during the model, in bytes (VmHWM after resetting it, or the largest VmRSS sample).</summary>
    public long PeakRssBytes { get; init; }

    /// <summary>For the processes model: the workers' peak resident memory added up, in bytes; otherwise 0.</summary>
    public long WorkersPeakRssBytes { get; init; }

    /// <summary>The largest thread count of this process sampled during the model (the runtime's own threads and the sampler included).</summary>
    public int PeakThreads { get; init; }

    /// <summary>Voluntary context switches summed over all threads (getrusage; workers added).</summary>
    public long VoluntaryContextSwitches { get; init; }

    /// <summary>Involuntary context switches summed over all threads (getrusage; workers added).</summary>
    public long InvoluntaryContextSwitches { get; init; }

    /// <summary>Bytes allocated on the managed heap during the model (workers added).</summary>
    public long AllocatedBytes { get; init; }

    /// <summary>Tasks that produced a result.</summary>
    public int TasksOk { get; init; }

    /// <summary>Tasks that ran and failed, or were lost with a worker.</summary>
    public int TasksFailed { get; init; }

    /// <summary>Tasks that never started because the run was cancelled first; neither ok nor failed.</summary>
    public int TasksNotRun { get; init; }

    /// <summary>Rows the store held after the model (io and mixed), or null for workloads without a store.</summary>
    public long? StoredRows { get; init; }

    /// <summary>A hash of every task's result in index order; equal digests mean equal results.</summary>
    public string Digest { get; init; } = "";

    /// <summary>The worker processes (processes model only).</summary>
    public IReadOnlyList<WorkerResult> Workers { get; init; } = [];

    /// <summary>Every task of the reported run.</summary>
    public IReadOnlyList<TaskRecord> Tasks { get; init; } = [];
}
