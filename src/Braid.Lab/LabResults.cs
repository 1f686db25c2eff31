namespace Braid.Lab;

/// <summary>Everything one run of the lab measured; serialised as the JSON results (docs/lab-results.schema.json).</summary>
public sealed record LabResults
{
    /// <summary>The schema's identifier; changes when the shape changes.</summary>
    public string Schema { get; init; } = "braid-lab-results/1";

    /// <summary>When the run started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The workload's name.</summary>
    public required string Workload { get; init; }

    /// <summary>Tasks per model.</summary>
    public required int Tasks { get; init; }

    /// <summary>io latency per request, in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>io jitter, in milliseconds.</summary>
    public double JitterMs { get; init; }

    /// <summary>io failure rate, 0 to 1.</summary>
    public double FailureRate { get; init; }

    /// <summary>cpu work per task, in pi-series terms.</summary>
    public int CpuSize { get; init; }

    /// <summary>The bounded async model's limit.</summary>
    public int Concurrency { get; init; }

    /// <summary>Repeats per model.</summary>
    public int Repeats { get; init; }

    /// <summary>Worker processes of the processes model.</summary>
    public int Workers { get; init; }

    /// <summary>db workload: pooled connections (true) or a fresh one per query (false).</summary>
    public bool PooledConnections { get; init; }

    /// <summary>The seed that chose jitter and failures.</summary>
    public int Seed { get; init; }

    /// <summary>Logical processors this machine reports.</summary>
    public int ProcessorCount { get; init; } = Environment.ProcessorCount;

    /// <summary>The runtime's description.</summary>
    public string Runtime { get; init; } = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

    /// <summary>The operating system's description.</summary>
    public string OperatingSystem { get; init; } = System.Runtime.InteropServices.RuntimeInformation.OSDescription;

    /// <summary>True when the run was cancelled (Ctrl-C); the models that ran, fully or partly, are kept.</summary>
    public bool Cancelled { get; init; }

    /// <summary>Whether every completed model produced the same results as the first one (true when fewer than two completed: nothing disagrees).</summary>
    public bool ResultsAgree { get; init; }

    /// <summary>
    /// No disagreement and no <c>FAILED</c> check: every run of every model completed (or was
    /// cancelled), failed only the tasks the seed injected, stored one row per success, and repeated its
    /// first run's results. A command should exit non-zero when this is false.
    /// </summary>
    public bool AllChecksPassed => ResultsAgree && !Checks.Any(c => c.StartsWith("FAILED", StringComparison.Ordinal));

    /// <summary>One line per model whose results differ from the first completed model's.</summary>
    public IReadOnlyList<string> Disagreements { get; init; } = [];

    /// <summary>What the workload checked against known values (pi, known distances), one line each.</summary>
    public IReadOnlyList<string> Checks { get; init; } = [];

    /// <summary>A few sentences, generated from this run's numbers, saying what they show.</summary>
    public IReadOnlyList<string> Findings { get; init; } = [];

    /// <summary>The harness's own cost.</summary>
    public required LabOverhead Overhead { get; init; }

    /// <summary>One entry per model, in the order they ran.</summary>
    public required IReadOnlyList<ModelResult> Models { get; init; }
}
