namespace Braid.Lab.Models;

/// <summary>The loop model: async/await on Braid's single-threaded event loop, on a thread of its own; every continuation stays on the loop (design rule 91).</summary>
internal sealed class LoopModel : LabModel
{
    public LoopModel()
        : base("loop")
    {
    }

    public override string Describe(LabOptions options) => "async/await on Braid's single-threaded AsyncLoop";

    public override Task RunAsync(LabTasks tasks, CancellationToken cancellationToken) => DedicatedThread.RunAsync("braid-lab-loop", () => BraidModels.RunOnLoop(async () =>
    {
        var running = new Task[tasks.Count];
        for (var i = 0; i < running.Length; i++)
        {
            running[i] = tasks.RunAsync(i, cancellationToken).AsTask();
        }

        // Stay on the loop: the continuation must run on the loop's thread.
        await Task.WhenAll(running);
        return 0;
    }));
}
