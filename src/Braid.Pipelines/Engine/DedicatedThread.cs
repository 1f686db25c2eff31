using System.Collections.Concurrent;

namespace Braid.Pipelines.Engine;

/// <summary>
/// Runs an async worker on a thread of its own: the thread installs a synchronization context that
/// runs every posted continuation on it, so a blocking or CPU-bound function never holds a
/// thread-pool thread, before or after an await.
/// </summary>
internal static class DedicatedThread
{
    public static Task RunAsync(Func<Task> body, string name)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var context = new PumpContext();
            SynchronizationContext.SetSynchronizationContext(context);
            try
            {
                var task = body();
                _ = task.ContinueWith(
                    static (_, state) => ((PumpContext)state!).Complete(),
                    context,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
                context.RunUntilComplete();
                if (task.IsFaulted)
                {
                    done.SetException(task.Exception!.InnerExceptions);
                }
                else if (task.IsCanceled)
                {
                    done.SetCanceled();
                }
                else
                {
                    done.SetResult();
                }
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
            finally
            {
                SynchronizationContext.SetSynchronizationContext(null);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    private sealed class PumpContext : SynchronizationContext
    {
        private readonly object _gate = new();
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
        private bool _completed;

        public override void Post(SendOrPostCallback d, object? state)
        {
            lock (_gate)
            {
                if (!_completed)
                {
                    _queue.Add((d, state));
                    return;
                }
            }

            // The worker has finished: a late continuation (a cancelled timer's, say) runs on the pool.
            ThreadPool.QueueUserWorkItem(static s => s.Callback(s.State), (Callback: d, State: state), preferLocal: false);
        }

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("A pipeline worker thread does not accept synchronous sends.");

        public override SynchronizationContext CreateCopy() => this;

        public void Complete()
        {
            lock (_gate)
            {
                _completed = true;
                _queue.CompleteAdding();
            }
        }

        public void RunUntilComplete()
        {
            foreach (var (callback, state) in _queue.GetConsumingEnumerable())
            {
                callback(state);
            }

            _queue.Dispose();
        }
    }
}
