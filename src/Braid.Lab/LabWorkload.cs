namespace Braid.Lab;

/// <summary>
/// The work every model of a lab run does (io, cpu, ...): what it sets up once
/// (<see cref="StartAsync"/>, a <see cref="LabFixture"/>), and, through that fixture's sessions, what
/// task <c>i</c> does. The built-in workloads are listed in <see cref="LabCatalog"/>; a workload of your
/// own is passed in <see cref="LabOptions.Workload"/>.
/// </summary>
/// <remarks>An instance holds no state of a run: everything a run needs lives in its fixture.</remarks>
public abstract class LabWorkload
{
    /// <summary>Creates a workload named <paramref name="name"/>.</summary>
    /// <param name="name">Its command-line name: lower-case letters, digits and '-', such as <c>io</c>.</param>
    /// <param name="description">A short phrase for the command's help, such as <c>SQLite queries</c>.</param>
    /// <exception cref="ArgumentException">The name is empty or has other characters, or the description is empty.</exception>
    protected LabWorkload(string name, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        Name = LabCatalog.CheckName(name);
        Description = description;
    }

    /// <summary>The workload's command-line name, also its name in the results and reports.</summary>
    public string Name { get; }

    /// <summary>A short phrase saying what a task does, for the command's help.</summary>
    public string Description { get; }

    /// <summary>The options this workload reads (<see cref="LabSettings.Requests"/>, <see cref="LabSettings.CpuSize"/>, <see cref="LabSettings.Connections"/>); none by default.</summary>
    public virtual LabSettings Settings => LabSettings.None;

    /// <summary>
    /// Sets up what every model of the run shares (servers, datasets, databases) before any model runs;
    /// the lab disposes the fixture after the last one.
    /// </summary>
    /// <param name="options">The run's options.</param>
    /// <param name="workDirectory">A directory for the run's files, deleted afterwards unless <see cref="LabOptions.WorkDirectory"/> named it.</param>
    /// <param name="cancellationToken">Stops the set-up; the lab then reports the run as cancelled before any model ran.</param>
    /// <returns>The fixture. May complete synchronously.</returns>
    public abstract Task<LabFixture> StartAsync(LabOptions options, string workDirectory, CancellationToken cancellationToken);

    /// <summary>
    /// Why <paramref name="model"/> cannot run this workload, in one sentence, or null when it can. By default a
    /// model that runs its tasks in worker processes cannot: the workers find a workload by name among the built-in
    /// ones that say they can (<see cref="OpenWorkerSession"/>).
    /// </summary>
    internal virtual string? CannotRunIn(LabModel model) => model.RunsOutOfProcess
        ? $"the {model.Name} model runs only the built-in workloads ({string.Join(", ", LabCatalog.Workloads.Where(w => w.CannotRunIn(model) is null))}), not {Name}"
        : null;

    /// <summary>In a worker process: the session that runs the job's tasks, from the spec its parent's fixture made (<see cref="LabFixture.WorkerSpec"/>).</summary>
    internal virtual LabSession OpenWorkerSession(Models.WorkerJob job) =>
        throw new InvalidOperationException($"the {Name} workload cannot run in a worker process");

    /// <inheritdoc/>
    public override string ToString() => Name;
}
