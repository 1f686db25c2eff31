using System.Diagnostics;
using Braid.Lab.Measurement;
using Braid.Lab.Workloads;

namespace Braid.Lab.Models;

/// <summary>
/// The models that run inside this process. Each one runs the same work functions of a
/// <see cref="WorkSession"/> for task indices 0..n-1 and records every task in a <see cref="TaskLog"/>;
/// only the organisation differs. Cancellation stops a model between tasks and aborts requests in flight.
/// </summary>
internal static class InProcessModels
{
    public static string Describe(LabModel model, LabOptions options) => model switch
    {
        LabModel.Sequential => "one task after another on one thread, blocking I/O",
        LabModel.Threads => $"{options.Tasks} dedicated OS threads, one per task, blocking I/O",
        LabModel.Pool => $"the .NET thread pool, at most {options.Concurrency} tasks at a time, blocking I/O",
        LabModel.Processes => $"{options.Workers} worker processes of the braid binary, tasks partitioned in contiguous blocks, each worker sequential with blocking I/O",
        LabModel.Async => "async/await on the thread pool, every task started at once",
        LabModel.AsyncBounded => $"async/await on the thread pool, at most {options.Concurrency} at a time (Braid MapAsync)",
        LabModel.Loop => "async/await on Braid's single-threaded AsyncLoop",
        _ => "",
    };

    public static Task RunAsync(LabModel model, WorkSession session, TaskLog log, LabOptions options, CancellationToken cancellationToken)
    {
        var n = log.Count;
        return model switch
        {
            LabModel.Sequential => RunOnThreadAsync("braid-lab-sequential", () =>
            {
                for (var i = 0; i < n; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    RunOne(session, log, i, cancellationToken);
                }
            }),
            LabModel.Threads => RunOnThreadAsync("braid-lab-threads", () => Threads(session, log, cancellationToken)),
            LabModel.Pool => PoolAsync(session, log, options.Concurrency, cancellationToken),
            LabModel.Async => Task.Run(async () =>
            {
                var tasks = new Task[n];
                for (var i = 0; i < n; i++)
                {
                    tasks[i] = RunOneAsync(session, log, i, cancellationToken).AsTask();
                }

                await Task.WhenAll(tasks).ConfigureAwait(false);
            }, cancellationToken),
            LabModel.AsyncBounded => Task.Run(() => BraidModels.MapBoundedAsync(n, options.Concurrency, (i, ct) => RunOneAsync(session, log, i, ct), cancellationToken), cancellationToken),
            LabModel.Loop => RunOnThreadAsync("braid-lab-loop", () => BraidModels.RunOnLoop(async () =>
            {
                var tasks = new Task[n];
                for (var i = 0; i < n; i++)
                {
                    tasks[i] = RunOneAsync(session, log, i, cancellationToken).AsTask();
                }

                // Stay on the loop: the continuation must run on the loop's thread.
                await Task.WhenAll(tasks);
                return 0;
            })),
            _ => throw new ArgumentOutOfRangeException(nameof(model), model, "not an in-process model"),
        };
    }

    private static void Threads(WorkSession session, TaskLog log, CancellationToken cancellationToken)
    {
        var threads = new Thread[log.Count];
        for (var i = 0; i < threads.Length; i++)
        {
            var index = i;
            threads[i] = new Thread(() => RunOneGuarded(session, log, index, cancellationToken)) { IsBackground = true, Name = "braid-lab-task" };
            threads[i].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// The pool model: the tasks go to the .NET thread pool, at most <paramref name="limit"/> queued or
    /// running at once (like Python's ThreadPoolExecutor(max_workers=limit)); each finished task queues
    /// the next. For the run, the pool's minimum is raised to limit + processors, so that the blocked
    /// threads do not starve everything else that needs the pool: the in-process record server, the
    /// store's writer. Without that, 200 blocking 50 ms tasks took 40 s here (the server's work queued
    /// behind the blocked tasks', served only as the pool slowly injected threads).
    /// </summary>
    private static async Task PoolAsync(WorkSession session, TaskLog log, int limit, CancellationToken cancellationToken)
    {
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        ThreadPool.SetMinThreads(Math.Max(minWorkers, limit + Environment.ProcessorCount), minIo);
        try
        {
            var remaining = log.Count;
            var next = -1;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void QueueNext()
            {
                var index = Interlocked.Increment(ref next);
                if (index >= log.Count)
                {
                    return;
                }

                ThreadPool.UnsafeQueueUserWorkItem(
                    _ =>
                    {
                        try
                        {
                            RunOneGuarded(session, log, index, cancellationToken);
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

            for (var i = 0; i < Math.Min(limit, log.Count); i++)
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

    /// <summary>Runs one task on a thread we do not own the top of: cancellation ends it quietly (the model reports it).</summary>
    private static void RunOneGuarded(WorkSession session, TaskLog log, int index, CancellationToken cancellationToken)
    {
        try
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                RunOne(session, log, index, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled: the task is reported as not run.
        }
    }

    private static void RunOne(WorkSession session, TaskLog log, int index, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var lane = Environment.CurrentManagedThreadId;
        TaskOutcome outcome;
        try
        {
            outcome = session.Run(index, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            outcome = TaskOutcome.Failure(e.GetType().Name + ": " + e.Message);
        }

        log.Record(index, start, lane, outcome);
    }

    private static async ValueTask<int> RunOneAsync(WorkSession session, TaskLog log, int index, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var lane = Environment.CurrentManagedThreadId;
        TaskOutcome outcome;
        try
        {
            // No ConfigureAwait(false): on the loop model the rest of the task must stay on the loop.
            outcome = await session.RunAsync(index, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            outcome = TaskOutcome.Failure(e.GetType().Name + ": " + e.Message);
        }

        log.Record(index, start, lane, outcome);
        return index;
    }

    /// <summary>Runs <paramref name="action"/> on a new dedicated thread; the task completes when it returns or throws.</summary>
    internal static Task RunOnThreadAsync(string name, Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                action();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }
}
