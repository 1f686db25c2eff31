namespace Braid.Lab.Workloads;

/// <summary>
/// The built-in workloads' common ground: their <see cref="LabWorkload.Settings"/> say what they need
/// (requests: the record server and a store; cpu size: the known-distance and pi checks; connections:
/// the city database), <see cref="BuiltInFixture"/> sets that up, and a subclass writes only its task,
/// in both forms, on a <see cref="WorkSession"/>'s work functions. Worker processes find these by name.
/// </summary>
internal abstract class BuiltInWorkload : LabWorkload
{
    protected BuiltInWorkload(string name, string description)
        : base(name, description)
    {
    }

    /// <summary>Whether tasks fetch records from the record server and store them (and may fail on purpose: <c>--failure-rate</c>).</summary>
    public bool MakesRequests => Settings.HasFlag(LabSettings.Requests);

    /// <summary>Whether tasks do the cpu work (pi series and distances), checked against known values.</summary>
    public bool Computes => Settings.HasFlag(LabSettings.CpuSize);

    /// <summary>Whether tasks query the city database.</summary>
    public bool QueriesDatabase => Settings.HasFlag(LabSettings.Connections);

    /// <summary>Task <paramref name="index"/>, blocking; a failure is an outcome, only cancellation throws.</summary>
    public abstract TaskOutcome Run(WorkSession session, int index, CancellationToken cancellationToken);

    /// <summary>Task <paramref name="index"/>, awaiting; the same work and value as <see cref="Run"/>.</summary>
    public abstract ValueTask<TaskOutcome> RunAsync(WorkSession session, int index, CancellationToken cancellationToken);

    internal override string? CannotRunIn(LabModel model) => null;

    internal override LabSession OpenWorkerSession(Models.WorkerJob job) => new WorkSession(job.Spec, job.Store);

    public override async Task<LabFixture> StartAsync(LabOptions options, string workDirectory, CancellationToken cancellationToken) =>
        await BuiltInFixture.StartAsync(this, options, workDirectory, cancellationToken).ConfigureAwait(false);
}
