namespace Braid.Lab.Workloads;

/// <summary>The io workload: task i fetches record i from the record server (its own process, 127.0.0.1) and stores it in SQLite.</summary>
internal sealed class IoWorkload : BuiltInWorkload
{
    public IoWorkload()
        : base("io", "fetch and store records from a local HTTP API")
    {
    }

    public override LabSettings Settings => LabSettings.Requests;

    public override TaskOutcome Run(WorkSession session, int index, CancellationToken cancellationToken) => session.Fetch(index, cancellationToken);

    public override ValueTask<TaskOutcome> RunAsync(WorkSession session, int index, CancellationToken cancellationToken) => session.FetchAsync(index, cancellationToken);
}
