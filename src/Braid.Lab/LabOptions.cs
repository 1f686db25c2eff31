using System.Globalization;
using Braid.Lab.Workloads;

namespace Braid.Lab;

/// <summary>
/// What the lab runs: the workload, the models, the sizes. Every property has a default that makes
/// the standard experiment (200 io tasks at 50 ms under every model); <see cref="Validate"/> names the
/// first value out of range.
/// </summary>
public sealed record LabOptions
{
    /// <summary>The largest number of tasks the lab accepts (the threads model starts one OS thread per task).</summary>
    public const int MaxTasks = 5_000;

    /// <summary>The workload: a built-in one from <see cref="LabCatalog"/>, or one of your own. Default: <see cref="LabCatalog.Io"/>.</summary>
    public LabWorkload Workload { get; init; } = LabCatalog.Io;

    /// <summary>
    /// The models to run, in order: built-in ones from <see cref="LabCatalog"/>, or ones of your own.
    /// Default: <see cref="LabCatalog.DefaultModels"/>, every built-in model with the pool last.
    /// </summary>
    public IReadOnlyList<LabModel> Models { get; init; } = LabCatalog.DefaultModels;

    /// <summary>The number of tasks every model runs. Default 200; 1 to <see cref="MaxTasks"/>.</summary>
    public int Tasks { get; init; } = 200;

    /// <summary>The io server's latency per request. Default 50 ms; 0 to 10 s.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Extra latency per request, uniform in [0, jitter), fixed per record by the seed. Default 0; 0 to 10 s.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.Zero;

    /// <summary>The fraction of io requests the server fails (HTTP 500), chosen per record by the seed. Default 0; 0 to 1.</summary>
    public double FailureRate { get; init; }

    /// <summary>The cpu work per task, in pi-series terms (the distance work scales with it). Default 100,000; 1 to 100,000,000.</summary>
    public int CpuSize { get; init; } = 100_000;

    /// <summary>The concurrency limit of the bounded async model and of the pool model (its thread count). Default 50; 1 to 10,000.</summary>
    public int Concurrency { get; init; } = 50;

    /// <summary>How many times each model runs; the run with the median wall time is reported. Default 1; 1 to 20.</summary>
    public int Repeats { get; init; } = 1;

    /// <summary>The number of worker processes of the processes model. Default: the processor count (at least 2); 1 to 64.</summary>
    public int Workers { get; init; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>For the db workload: whether queries share pooled connections (true) or open a fresh one each (false, the default).</summary>
    public bool PooledConnections { get; init; }

    /// <summary>The seed that picks jitter and failures per record, so every model sees the same ones. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The command line that starts a worker process (the program, then its arguments, ending with the worker verb). Default: <see cref="LabWorker.DefaultCommand"/>.</summary>
    public IReadOnlyList<string>? WorkerCommand { get; init; }

    /// <summary>Where databases are written; a fresh temporary directory (deleted afterwards) when null.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>Test hook: each worker process exits with code 3 after this many tasks.</summary>
    internal int? WorkerCrashAfter { get; init; }

    /// <summary>Small sizes for CI and a first look: 40 tasks, 20 ms latency, 20,000 cpu terms, 20 at a time.</summary>
    public static LabOptions Quick { get; } = new() { Tasks = 40, Latency = TimeSpan.FromMilliseconds(20), CpuSize = 20_000, Concurrency = 20 };

    /// <summary>Checks every value. Never throws.</summary>
    /// <returns>Null when the options are valid, otherwise one sentence naming the first bad value.</returns>
    public string? Validate()
    {
        if (Workload is null)
        {
            return "no workload chosen; expected one of " + string.Join(", ", LabCatalog.Workloads);
        }

        if (Models is null || Models.Count == 0 || Models.Any(m => m is null))
        {
            return "no model chosen; expected one or more of " + string.Join(", ", LabCatalog.Models);
        }

        if (Models.DistinctBy(m => m.Name).Count() != Models.Count)
        {
            return "a model is named twice";
        }

        // Worker processes find the workload by name among the built-in ones; a workload may refuse a model (rule 157).
        if (Models.Select(Workload.CannotRunIn).FirstOrDefault(why => why is not null) is { } refused)
        {
            return refused;
        }

        return Range("tasks", Tasks, 1, MaxTasks)
            ?? Range("latency (ms)", Latency.TotalMilliseconds, 0, 10_000)
            ?? Range("jitter (ms)", Jitter.TotalMilliseconds, 0, 10_000)
            ?? Range("failure rate", FailureRate, 0, 1)
            ?? Range("cpu size", CpuSize, 1, 100_000_000)
            ?? Range("concurrency", Concurrency, 1, 10_000)
            ?? Range("repeats", Repeats, 1, 20)
            ?? Range("workers", Workers, 1, 64)
            ?? (WorkerCommand is { Count: 0 } ? "the worker command is empty" : null);
    }

    private static string? Range(string name, double value, double min, double max) =>
        double.IsNaN(value) || value < min || value > max
            ? string.Create(CultureInfo.InvariantCulture, $"{name} must be between {min} and {max}, not {value}")
            : null;
}
