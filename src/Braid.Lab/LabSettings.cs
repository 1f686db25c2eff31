namespace Braid.Lab;

/// <summary>
/// The <see cref="LabOptions"/> a model or workload reads beyond the ones every run uses (tasks,
/// repeats, seed). The command line warns about an option that no chosen model and not the chosen
/// workload reads.
/// </summary>
[Flags]
public enum LabSettings
{
    /// <summary>Nothing beyond the common options.</summary>
    None = 0,

    /// <summary>The record server's <see cref="LabOptions.Latency"/>, <see cref="LabOptions.Jitter"/> and <see cref="LabOptions.FailureRate"/> (the workload makes requests).</summary>
    Requests = 1,

    /// <summary><see cref="LabOptions.CpuSize"/> (the workload computes).</summary>
    CpuSize = 2,

    /// <summary><see cref="LabOptions.PooledConnections"/> (the workload opens database connections).</summary>
    Connections = 4,

    /// <summary><see cref="LabOptions.Concurrency"/> (the model limits how many tasks run at once).</summary>
    Concurrency = 8,

    /// <summary><see cref="LabOptions.Workers"/> (the model runs worker processes).</summary>
    Workers = 16,
}
