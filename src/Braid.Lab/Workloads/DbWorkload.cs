namespace Braid.Lab.Workloads;

/// <summary>The db workload: task i runs query i against the city database, on a fresh or a pooled connection.</summary>
internal sealed class DbWorkload : BuiltInWorkload
{
    public DbWorkload()
        : base("db", "SQLite queries")
    {
    }

    public override LabSettings Settings => LabSettings.Connections;

    public override TaskOutcome Run(WorkSession session, int index, CancellationToken cancellationToken) => session.Query(index, cancellationToken);

    public override ValueTask<TaskOutcome> RunAsync(WorkSession session, int index, CancellationToken cancellationToken) => session.QueryAsync(index, cancellationToken);
}
