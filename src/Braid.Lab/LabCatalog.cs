using System.Text.RegularExpressions;
using Braid.Lab.Models;
using Braid.Lab.Workloads;

namespace Braid.Lab;

/// <summary>
/// The lab's built-in models and workloads, and the only place that lists them: their order here
/// is the order of the command's help and of the default run. Names are found ignoring case and
/// surrounding spaces. A model or workload of your own needs no entry here: pass it in
/// <see cref="LabOptions"/>.
/// </summary>
public static partial class LabCatalog
{
    /// <summary>One task after another on one thread, with blocking I/O.</summary>
    public static LabModel Sequential { get; } = new SequentialModel();

    /// <summary>One dedicated OS thread per task, with blocking I/O.</summary>
    public static LabModel Threads { get; } = new ThreadsModel();

    /// <summary>The .NET thread pool with blocking I/O, at most <see cref="LabOptions.Concurrency"/> tasks at a time.</summary>
    public static LabModel Pool { get; } = new PoolModel();

    /// <summary>Worker processes of the same <c>braid</c> binary; the tasks are partitioned between them and results come back over pipes.</summary>
    public static LabModel Processes { get; } = new ProcessesModel();

    /// <summary>async/await on the thread pool, every task started at once (unbounded).</summary>
    public static LabModel Async { get; } = new AsyncModel();

    /// <summary>async/await on the thread pool, at most <see cref="LabOptions.Concurrency"/> tasks at a time (Braid's bounded map).</summary>
    public static LabModel AsyncBounded { get; } = new AsyncBoundedModel();

    /// <summary>async/await on Braid's single-threaded event loop.</summary>
    public static LabModel Loop { get; } = new LoopModel();

    /// <summary>Fetch JSON records from a local HTTP API (a record server in its own process on 127.0.0.1) and store them in SQLite.</summary>
    public static LabWorkload Io { get; } = new IoWorkload();

    /// <summary>Embarrassingly parallel math: a slice of the pi series and great-circle distances between cities.</summary>
    public static LabWorkload Cpu { get; } = new CpuWorkload();

    /// <summary>Each task fetches and stores one record (io), then does a slice of the cpu work.</summary>
    public static LabWorkload Mixed { get; } = new MixedWorkload();

    /// <summary>Queries against an SQLite database, with a fresh or a pooled connection per query.</summary>
    public static LabWorkload Db { get; } = new DbWorkload();

    /// <summary>
    /// SQLite written by every task at once, before the fix: each task opens its own connection and writes in a
    /// deferred transaction (busy timeout 1 s), so concurrent tasks fail with "database is locked"; each failure is
    /// the task's result, and the file holds exactly the rows of the tasks that succeeded. Worker processes run it
    /// too, all writing the run's one file.
    /// </summary>
    public static LabWorkload SqliteNaive { get; } = new SqliteWritersWorkload(singleWriter: false);

    /// <summary>
    /// SQLite written by every task at once, after the fix: tasks hand their rows to one writer (a bounded channel,
    /// WAL, batched <c>BEGIN IMMEDIATE</c>), so none fails. Not for the processes model: a writer per worker
    /// process would be the naive problem again (<see cref="LabOptions.Validate"/> says so).
    /// </summary>
    public static LabWorkload SqliteSingle { get; } = new SqliteWritersWorkload(singleWriter: true);

    /// <summary>The SQLite before/after pair: <see cref="SqliteNaive"/>, then <see cref="SqliteSingle"/>.</summary>
    public static IReadOnlyList<LabWorkload> SqliteWriters { get; } = [SqliteNaive, SqliteSingle];

    /// <summary>Every built-in model, in the order the command's help lists them.</summary>
    public static IReadOnlyList<LabModel> Models { get; } = [Sequential, Threads, Pool, Processes, Async, AsyncBounded, Loop];

    /// <summary>
    /// Every built-in model in the order a default run uses: the pool last, because the threads the
    /// pool makes outlive its run (idle pool threads retire only after seconds) and would inflate the
    /// thread counts of the models after it.
    /// </summary>
    public static IReadOnlyList<LabModel> DefaultModels { get; } = [Sequential, Threads, Processes, Async, AsyncBounded, Loop, Pool];

    /// <summary>Every built-in workload, in the order the command's help lists them.</summary>
    public static IReadOnlyList<LabWorkload> Workloads { get; } = [Io, Cpu, Mixed, Db, SqliteNaive, SqliteSingle];

    /// <summary>Finds a built-in model by name, ignoring case. Never throws.</summary>
    /// <param name="name">A name such as <c>pool</c>.</param>
    /// <param name="model">The model, when found.</param>
    /// <returns>Whether the name is a built-in model's.</returns>
    public static bool TryFindModel(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LabModel? model) =>
        (model = Models.FirstOrDefault(m => Matches(m.Name, name))) is not null;

    /// <summary>Finds a built-in workload by name, ignoring case. Never throws.</summary>
    /// <param name="name">A name such as <c>cpu</c>.</param>
    /// <param name="workload">The workload, when found.</param>
    /// <returns>Whether the name is a built-in workload's.</returns>
    public static bool TryFindWorkload(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LabWorkload? workload) =>
        (workload = Workloads.FirstOrDefault(w => Matches(w.Name, name))) is not null;

    internal static string CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return NamePattern().IsMatch(name)
            ? name
            : throw new ArgumentException($"'{name}' is not a lab name: use lower-case letters, digits and '-', starting with a letter", nameof(name));
    }

    private static bool Matches(string known, string? name) => string.Equals(known, name?.Trim(), StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^[a-z][a-z0-9-]*$")]
    private static partial Regex NamePattern();
}
