using System.Globalization;

namespace Braid.Lab.Models;

/// <summary>
/// The pool model: the tasks go to the .NET thread pool, at most <see cref="LabOptions.Concurrency"/>
/// queued or running at once (like Python's ThreadPoolExecutor(max_workers=limit)); each finished task
/// queues the next. For the run, the pool's minimum is raised to limit + processors, so that the blocked
/// threads do not starve everything else that needs the pool, such as the store's writer (design rule 89).
/// Without that, 200 blocking 50 ms tasks took 40 s here (the work queued behind the blocked tasks',
/// served only as the pool slowly injected threads).
/// </summary>
internal sealed class PoolModel : LabModel
{
    public PoolModel()
        : base("pool")
    {
    }

    public override LabSettings Settings => LabSettings.Concurrency;

    public override string Describe(LabOptions options) =>
        string.Create(CultureInfo.InvariantCulture, $"the .NET thread pool, at most {options.Concurrency} tasks at a time, blocking I/O");

    public override async Task RunAsync(LabTasks tasks, CancellationToken cancellationToken)
    {
        var limit = tasks.Options.Concurrency;
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        ThreadPool.SetMinThreads(Math.Max(minWorkers, limit + Environment.ProcessorCount), minIo);
        try
        {
            var remaining = tasks.Count;
            var next = -1;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void QueueNext()
            {
                var index = Interlocked.Increment(ref next);
                if (index >= tasks.Count)
                {
                    return;
                }

                ThreadPool.UnsafeQueueUserWorkItem(
                    _ =>
                    {
                        try
                        {
                            tasks.RunUnlessCancelled(index, cancellationToken);
                        }
                        finally
                        {
                            if (Interlocked.Decrement(ref remaining) == 0)
                            {
                                done.SetResult();
                            }
                            else
                            {
                                QueueNext();
                            }
                        }
                    },
                    null);
            }

            for (var i = 0; i < Math.Min(limit, tasks.Count); i++)
            {
                QueueNext();
            }

            await done.Task.ConfigureAwait(false);
        }
        finally
        {
            ThreadPool.SetMinThreads(minWorkers, minIo);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
