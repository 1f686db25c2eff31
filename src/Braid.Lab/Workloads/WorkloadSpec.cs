namespace Braid.Lab.Workloads;

/// <summary>Everything a process needs to run the workload's tasks: sent to worker processes as JSON.</summary>
internal sealed record WorkloadSpec
{
    public required LabWorkload Workload { get; init; }

    public required int Tasks { get; init; }

    public required int CpuSize { get; init; }

    /// <summary>The record server's address (io, mixed).</summary>
    public string? ServerUrl { get; init; }

    /// <summary>The seeded city database (db).</summary>
    public string? DatabasePath { get; init; }

    public bool PooledConnections { get; init; }

    /// <summary>Where stores are created.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>The longest a request may take before it counts as failed.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public bool HasStore => Workload is LabWorkload.Io or LabWorkload.Mixed;
}
