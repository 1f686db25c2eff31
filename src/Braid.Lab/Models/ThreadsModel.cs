using System.Globalization;

namespace Braid.Lab.Models;

/// <summary>The threads model: one dedicated OS thread per task, all started at once, with blocking I/O.</summary>
internal sealed class ThreadsModel : LabModel
{
    public ThreadsModel()
        : base("threads")
    {
    }

    public override string Describe(LabOptions options) =>
        string.Create(CultureInfo.InvariantCulture, $"{options.Tasks} dedicated OS threads, one per task, blocking I/O");

    public override Task RunAsync(LabTasks tasks, CancellationToken cancellationToken) => DedicatedThread.RunAsync("braid-lab-threads", () =>
    {
        var threads = new Thread[tasks.Count];
        for (var i = 0; i < threads.Length; i++)
        {
            var index = i;
            threads[i] = new Thread(() => tasks.RunUnlessCancelled(index, cancellationToken)) { IsBackground = true, Name = "braid-lab-task" };
            threads[i].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        cancellationToken.ThrowIfCancellationRequested();
    });
}
