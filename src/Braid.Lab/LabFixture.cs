namespace Braid.Lab;

/// <summary>
/// A workload set up for one lab run (<see cref="LabWorkload.StartAsync"/>): it opens a fresh
/// <see cref="LabSession"/> for every model run, so that no model inherits another's state (design rule 85).
/// </summary>
public abstract class LabFixture : IAsyncDisposable
{
    /// <summary>Results of checking the work functions against known values while setting up, one line each; none by default.</summary>
    public virtual IReadOnlyList<string> Checks => [];

    /// <summary>Opens the session one model run (or the warm-up) runs its tasks in.</summary>
    /// <param name="name">Unique per run, such as <c>threads-1</c>: name the run's files after it.</param>
    /// <returns>A session; the lab disposes it after the run.</returns>
    public abstract LabSession OpenSession(string name);

    /// <summary>Which tasks the workload makes fail on purpose (such as <c>--failure-rate</c>): their failure is no check's failure.</summary>
    internal virtual bool FailsOnPurpose(int index) => false;

    /// <summary>
    /// Which failures depend on timing rather than on the task (the naive SQLite writers' "database is locked"):
    /// <paramref name="value"/> is the task's value (<c>fail:</c> and its error). Such a failure is what the
    /// workload shows, so it fails no check, and models are not compared on the tasks it hit.
    /// </summary>
    internal virtual bool FailsByChance(string value) => false;

    /// <summary>What worker processes need to run model run <paramref name="runName"/>'s tasks, or null when they cannot (the processes model then fails).</summary>
    internal virtual Workloads.WorkloadSpec? WorkerSpec(string runName) => null;

    /// <summary>Checks a completed model's values (in index order: <c>ok:</c>, <c>fail:</c> or <c>notrun</c>) against what the workload knows; one line per check.</summary>
    internal virtual IEnumerable<string> CheckResults(IReadOnlyList<string> values) => [];

    /// <summary>Releases what <see cref="LabWorkload.StartAsync"/> set up. Does nothing by default.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
