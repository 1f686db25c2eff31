namespace Braid.Lab.Workloads;

/// <summary>The cpu workload: task i computes a slice of the pi series and great-circle distances between cities; nothing waits.</summary>
internal sealed class CpuWorkload : BuiltInWorkload
{
    public CpuWorkload()
        : base("cpu", "pi series and great-circle distances")
    {
    }

    public override LabSettings Settings => LabSettings.CpuSize;

    public override TaskOutcome Run(WorkSession session, int index, CancellationToken cancellationToken) => CpuWork.Run(index, session.Spec.CpuSize, cancellationToken);

    public override ValueTask<TaskOutcome> RunAsync(WorkSession session, int index, CancellationToken cancellationToken) =>
        ValueTask.FromResult(CpuWork.Run(index, session.Spec.CpuSize, cancellationToken));
}
