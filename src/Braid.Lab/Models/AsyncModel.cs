namespace Braid.Lab.Models;

/// <summary>The async model: async/await on the thread pool, every task started at once (unbounded).</summary>
internal sealed class AsyncModel : LabModel
{
    public AsyncModel()
        : base("async")
    {
    }

    public override string Describe(LabOptions options) => "async/await on the thread pool, every task started at once";

    public override Task RunAsync(LabTasks tasks, CancellationToken cancellationToken) => Task.Run(
        async () =>
        {
            var running = new Task[tasks.Count];
            for (var i = 0; i < running.Length; i++)
            {
                running[i] = tasks.RunAsync(i, cancellationToken).AsTask();
            }

            await Task.WhenAll(running).ConfigureAwait(false);
        },
        cancellationToken);
}
