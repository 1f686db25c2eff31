namespace Braid.Lab.Workloads;

/// <summary>The mixed workload: task i fetches and stores record i (io), then does slice i of the cpu work.</summary>
internal sealed class MixedWorkload : BuiltInWorkload
{
    public MixedWorkload()
        : base("mixed", "io, then cpu, per task")
    {
    }

    public override LabSettings Settings => LabSettings.Requests | LabSettings.CpuSize;

    public override TaskOutcome Run(WorkSession session, int index, CancellationToken cancellationToken) =>
        Combine(session.Fetch(index, cancellationToken), CpuWork.Run(index, session.Spec.CpuSize, cancellationToken));

    public override async ValueTask<TaskOutcome> RunAsync(WorkSession session, int index, CancellationToken cancellationToken)
    {
        // No ConfigureAwait(false): on the loop model the cpu part must run on the loop too.
        var fetched = await session.FetchAsync(index, cancellationToken);
        return Combine(fetched, CpuWork.Run(index, session.Spec.CpuSize, cancellationToken));
    }

    private static TaskOutcome Combine(TaskOutcome fetched, TaskOutcome cpu) => fetched.Ok ? TaskOutcome.Success(fetched.Value + "|" + cpu.Value) : fetched;
}
