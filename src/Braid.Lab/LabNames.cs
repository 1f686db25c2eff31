namespace Braid.Lab;

/// <summary>The command-line names of workloads and models (<c>io</c>, <c>async-bounded</c>, ...), both ways.</summary>
public static class LabNames
{
    private static readonly (LabModel Model, string Name)[] Models =
    [
        (LabModel.Sequential, "sequential"),
        (LabModel.Threads, "threads"),
        (LabModel.Pool, "pool"),
        (LabModel.Processes, "processes"),
        (LabModel.Async, "async"),
        (LabModel.AsyncBounded, "async-bounded"),
        (LabModel.Loop, "loop"),
    ];

    private static readonly (LabWorkload Workload, string Name)[] Workloads =
    [
        (LabWorkload.Io, "io"),
        (LabWorkload.Cpu, "cpu"),
        (LabWorkload.Mixed, "mixed"),
        (LabWorkload.Db, "db"),
    ];

    /// <summary>Every model name, in the lab's default order.</summary>
    public static IReadOnlyList<string> ModelNames { get; } = [.. Models.Select(m => m.Name)];

    /// <summary>Every workload name.</summary>
    public static IReadOnlyList<string> WorkloadNames { get; } = [.. Workloads.Select(w => w.Name)];

    /// <summary>The command-line name of a model.</summary>
    /// <param name="model">The model.</param>
    /// <returns>Its lower-case name, such as <c>async-bounded</c>.</returns>
    public static string Name(LabModel model) => Models.First(m => m.Model == model).Name;

    /// <summary>The command-line name of a workload.</summary>
    /// <param name="workload">The workload.</param>
    /// <returns>Its lower-case name, such as <c>io</c>.</returns>
    public static string Name(LabWorkload workload) => Workloads.First(w => w.Workload == workload).Name;

    /// <summary>Finds a model by name, ignoring case. Never throws.</summary>
    /// <param name="name">A name such as <c>pool</c>.</param>
    /// <param name="model">The model, when found.</param>
    /// <returns>Whether the name is a model's.</returns>
    public static bool TryParseModel(string name, out LabModel model)
    {
        foreach (var (m, n) in Models)
        {
            if (string.Equals(n, name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                model = m;
                return true;
            }
        }

        model = default;
        return false;
    }

    /// <summary>Finds a workload by name, ignoring case. Never throws.</summary>
    /// <param name="name">A name such as <c>cpu</c>.</param>
    /// <param name="workload">The workload, when found.</param>
    /// <returns>Whether the name is a workload's.</returns>
    public static bool TryParseWorkload(string name, out LabWorkload workload)
    {
        foreach (var (w, n) in Workloads)
        {
            if (string.Equals(n, name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                workload = w;
                return true;
            }
        }

        workload = default;
        return false;
    }
}
