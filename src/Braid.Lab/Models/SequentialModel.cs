namespace Braid.Lab.Models;

/// <summary>The sequential model: one task after another on one dedicated thread, with blocking I/O. The baseline the others' speedups are measured against.</summary>
internal sealed class SequentialModel : LabModel
{
    public SequentialModel()
        : base("sequential")
    {
    }

    public override string Describe(LabOptions options) => "one task after another on one thread, blocking I/O";

    public override Task RunAsync(LabTasks tasks, CancellationToken cancellationToken) => DedicatedThread.RunAsync("braid-lab-sequential", () =>
    {
        for (var i = 0; i < tasks.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            tasks.Run(i, cancellationToken);
        }
    });
}
