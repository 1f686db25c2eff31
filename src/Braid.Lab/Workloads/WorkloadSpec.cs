namespace Braid.Lab.Workloads;

/// <summary>Everything a process needs to run a built-in workload's tasks: sent to worker processes as JSON.</summary>
internal sealed record WorkloadSpec
{
    /// <summary>The built-in workload's name (<see cref="LabCatalog.Workloads"/>).</summary>
    public required string Workload { get; init; }

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

    /// <summary>The built-in workload this spec names.</summary>
    /// <exception cref="InvalidOperationException">No built-in workload has that name.</exception>
    public BuiltInWorkload Resolve() => LabCatalog.TryFindWorkload(Workload, out var found) && found is BuiltInWorkload builtIn
        ? builtIn
        : throw new InvalidOperationException($"'{Workload}' is not a built-in workload of the lab");
}
