namespace Braid.Loop;

/// <summary>
/// Runs async code on a given <see cref="AsyncLoop"/> from a blocking thread, and waits for its result
/// (Trio's <c>from_thread.run</c>, asyncio's <c>run_coroutine_threadsafe(...).result()</c>). The usual
/// caller is a blocking call running under <see cref="ToThread"/> that needs something from the loop.
/// </summary>
/// <remarks>
/// The async code is started as a step of the loop, in FIFO order with the loop's other steps. The
/// calling thread blocks until it completes: never call it on the loop's own thread (that would
/// deadlock, so it throws instead).
/// </remarks>
public static class FromThread
{
    /// <summary>Runs <paramref name="function"/> on <paramref name="loop"/> and blocks until its task completes.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="loop">The loop to run on (capture <see cref="AsyncLoop.Current"/> on the loop and pass it to the thread).</param>
    /// <param name="function">The async code to run on the loop.</param>
    /// <param name="cancellationToken">Cancels the wait before the code has started, in which case it never starts; once it runs, cancellation is the code's own business (pass the token into it).</param>
    /// <returns>The code's result; its exception is rethrown on the calling thread.</returns>
    /// <exception cref="InvalidOperationException">Called on the loop's own thread, or the loop has ended.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the code started.</exception>
    public static T Run<T>(AsyncLoop loop, Func<Task<T>> function, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(function);
        if (loop.IsLoopThread || (AsyncLoop.Current == loop))
        {
            throw new InvalidOperationException("FromThread.Run was called on the loop's own thread: that would deadlock. Await the code instead.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var call = new Call<T>(function, cancellationToken);
        if (!loop.TryPost(static s => ((Call<T>)s!).Start(), call))
        {
            throw new InvalidOperationException($"The loop {loop.Id} has ended: FromThread.Run cannot run code on it.");
        }

        using (cancellationToken.UnsafeRegister(static s => ((Call<T>)s!).CancelIfNotStarted(), call))
        {
#pragma warning disable VSTHRD002 // Blocking the calling (non-loop) thread is this method's purpose.
            return call.Task.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        }
    }

    /// <summary>Runs <paramref name="function"/> on <paramref name="loop"/> and blocks until its task completes.</summary>
    /// <param name="loop">The loop to run on.</param>
    /// <param name="function">The async code to run on the loop.</param>
    /// <param name="cancellationToken">Cancels the wait before the code has started, in which case it never starts.</param>
    /// <exception cref="InvalidOperationException">Called on the loop's own thread, or the loop has ended.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the code started.</exception>
    public static void Run(AsyncLoop loop, Func<Task> function, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        Run(
            loop,
            async () =>
            {
                await function().ConfigureAwait(LoopSynchronizationContext.IsCurrent); // no pool hop on the loop (rule 104)
                return true;
            },
            cancellationToken);
    }

    private sealed class Call<T>(Func<Task<T>> function, CancellationToken cancellationToken)
        : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        private int _state; // 0 queued, 1 started, 2 cancelled before start

        public void Start()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            {
                return;
            }

            Task<T> task;
            try
            {
                task = function();
            }
#pragma warning disable CA1031 // The exception travels to the blocked caller.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                TrySetException(ex);
                return;
            }

            // Relay the outcome without touching the loop again: the blocked thread takes it from here.
            _ = task.ContinueWith(
                static (t, s) =>
                {
                    var self = (Call<T>)s!;
                    if (t.IsCanceled)
                    {
                        self.TrySetCanceled();
                    }
                    else if (t.IsFaulted)
                    {
                        self.TrySetException(t.Exception!.InnerExceptions);
                    }
                    else
                    {
                        self.TrySetResult(t.Result);
                    }
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        public void CancelIfNotStarted()
        {
            if (Interlocked.CompareExchange(ref _state, 2, 0) == 0)
            {
                TrySetCanceled(cancellationToken);
            }
        }
    }
}
