using Braid.Loop;

namespace Braid.Pipelines.Engine;

/// <summary>
/// Runs an async worker on a thread of its own, as the entry point of an <see cref="AsyncLoop"/> on that
/// thread: every continuation that captures the context comes back to the thread, so a blocking or
/// CPU-bound function never holds a thread-pool thread, before or after an await (rule 67).
/// </summary>
/// <remarks>
/// The loop is Braid's one single-threaded context (design rules 20-22), so a worker thread behaves as
/// any loop does: the library's own awaits stay on it (<c>ConfigureAwait(LoopSynchronizationContext.IsCurrent)</c>,
/// rule 104), it ends when the worker's task completes, and a continuation posted after that runs on
/// the pool rather than being dropped. Its clock is the system's and it never autojumps: the pipeline
/// waits on <see cref="PipelineOptions.TimeProvider"/> itself, and one worker's thread being idle says
/// nothing about the rest of the run. Debug mode stays off: blocking is what these threads are for.
/// </remarks>
internal static class DedicatedThread
{
    private static readonly AsyncLoopOptions LoopOptions = new() { Debug = false };

    public static Task RunAsync(Func<Task> body, string name)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                AsyncLoop.Run(body, LoopOptions);
                done.SetResult();
            }
            catch (OperationCanceledException cancelled)
            {
                done.TrySetCanceled(cancelled.CancellationToken);
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }
}
