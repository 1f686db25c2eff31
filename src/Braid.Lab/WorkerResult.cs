namespace Braid.Lab;

/// <summary>One worker process of the processes model, measured by itself (getrusage, /proc/self/status, the GC) and by the parent.</summary>
public sealed record WorkerResult
{
    /// <summary>The worker's number, 0 to workers - 1 (its lane is <c>w</c> and this number).</summary>
    public required int Worker { get; init; }

    /// <summary>The worker's process id.</summary>
    public required int ProcessId { get; init; }

    /// <summary>The worker's exit code, or null if it was killed or never exited.</summary>
    public int? ExitCode { get; init; }

    /// <summary>How many tasks the worker was given.</summary>
    public required int TasksGiven { get; init; }

    /// <summary>How many task results the worker sent back.</summary>
    public required int TasksReturned { get; init; }

    /// <summary>From the start request to the process's exit, in milliseconds, as the parent saw it.</summary>
    public double LifetimeMs { get; init; }

    /// <summary>From the process start to its first task, in milliseconds (runtime start-up, JIT, connection set-up).</summary>
    public double StartupMs { get; init; }

    /// <summary>The worker's own CPU time in user mode over its whole life, in milliseconds.</summary>
    public double UserCpuMs { get; init; }

    /// <summary>The worker's own CPU time in kernel mode over its whole life, in milliseconds.</summary>
    public double SystemCpuMs { get; init; }

    /// <summary>The worker's peak resident memory (VmHWM), in bytes.</summary>
    public long PeakRssBytes { get; init; }

    /// <summary>The worker's thread count when it finished (the runtime's own threads included).</summary>
    public int Threads { get; init; }

    /// <summary>Voluntary context switches of all the worker's threads.</summary>
    public long VoluntaryContextSwitches { get; init; }

    /// <summary>Involuntary context switches of all the worker's threads.</summary>
    public long InvoluntaryContextSwitches { get; init; }

    /// <summary>Bytes the worker allocated on the managed heap.</summary>
    public long AllocatedBytes { get; init; }

    /// <summary>What went wrong with this worker (it died, was killed, sent garbage), or null.</summary>
    public string? Error { get; init; }
}
