using System.Text.Json;
using Braid.Lab.Workloads;

namespace Braid.Lab.Models;

/// <summary>The first and only line the parent writes to a worker's stdin.</summary>
internal sealed record WorkerJob
{
    public required int Worker { get; init; }

    public required WorkloadSpec Spec { get; init; }

    public required int[] Indices { get; init; }

    /// <summary>The model run (model and repeat) the job belongs to, such as <c>processes-1</c>.</summary>
    public string Run { get; init; } = "";

    /// <summary>
    /// The worker's store name, unique per model run (model, repeat and worker), so that no repeat
    /// writes into a store an earlier one filled (design rule 85).
    /// </summary>
    public required string Store { get; init; }

    /// <summary>Test hook: exit with code 3 after this many tasks, without a "done" line.</summary>
    public int? CrashAfter { get; init; }
}

/// <summary>
/// The job line that makes a worker process serve the io workload's records instead of running tasks:
/// <c>{"server": {...}}</c>. The server answers until its stdin closes (the parent ended it, or died).
/// </summary>
internal sealed record ServerJob
{
    public required double LatencyMs { get; init; }

    public required double JitterMs { get; init; }

    public required double FailureRate { get; init; }

    public required int Seed { get; init; }
}

/// <summary>The envelope of a <see cref="ServerJob"/>.</summary>
internal sealed record ServerJobLine
{
    public required ServerJob Server { get; init; }
}

/// <summary>
/// One line a worker writes to stdout: <c>task</c> (one result, Stopwatch timestamps on the machine's
/// monotonic clock, which every process shares) or <c>done</c> (the worker's own resource figures).
/// </summary>
internal sealed record WorkerMessage
{
    public required string Type { get; init; }

    public int Index { get; init; }

    public long Start { get; init; }

    public long End { get; init; }

    public bool Ok { get; init; }

    public string? Value { get; init; }

    public long Frequency { get; init; }

    public double UserCpuMs { get; init; }

    public double SystemCpuMs { get; init; }

    public long PeakRssBytes { get; init; }

    public int Threads { get; init; }

    public long VoluntaryContextSwitches { get; init; }

    public long InvoluntaryContextSwitches { get; init; }

    public long AllocatedBytes { get; init; }

    public long? StoredRows { get; init; }
}

internal static class WorkerProtocol
{
    public const string Verb = "lab-worker";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
