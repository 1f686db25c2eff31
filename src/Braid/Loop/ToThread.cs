using Braid.Instrumentation;

namespace Braid.Loop;

/// <summary>
/// Runs blocking calls from async code (Python's <c>asyncio.to_thread</c>, Trio's
/// <c>to_thread.run_sync</c>): the call runs on one of a bounded set of dedicated threads, never on
/// the shared thread pool, and the caller awaits its result.
/// </summary>
/// <remarks>
/// <para>At most <see cref="MaxThreads"/> calls run at once; further calls wait their turn, first come
/// first served. Because the threads are Braid's own, any number of blocking calls leave the thread
/// pool free for async continuations.</para>
/// <para>Called on an <see cref="AsyncLoop"/>, the loop counts the call as off-loop work: it does not
/// count as idle (no <see cref="Braid.Time.VirtualClock"/> autojump, no
/// <see cref="AsyncLoop.WaitAllTasksBlockedAsync"/> release) until the result is back.</para>
/// <para>Cancellation abandons the wait, not the call: the returned task is cancelled at once, but a
/// call already running keeps running to its end on its thread (.NET cannot interrupt it safely);
/// its result is dropped and an exception it throws is reported as an
/// <see cref="BraidEventKind.UnobservedFault"/> instrumentation event. A call still queued when
/// cancellation is requested never starts.</para>
/// </remarks>
public static class ToThread
{
    /// <summary>The most blocking calls that run at once (40, like Trio's default).</summary>
    public static int MaxThreads => BlockingThreadPool.Shared.MaxThreads;

    /// <summary>Runs <paramref name="function"/> on a dedicated thread and returns its result.</summary>
    /// <typeparam name="T">The call's result type.</typeparam>
    /// <param name="function">The blocking call.</param>
    /// <param name="cancellationToken">Abandons the wait (see the remarks on <see cref="ToThread"/>).</param>
    /// <returns>A task with the call's result or exception. It never completes synchronously, except when <paramref name="cancellationToken"/> is already cancelled.</returns>
    public static Task<T> RunAsync<T>(Func<T> function, CancellationToken cancellationToken = default)
        => RunAsync(BlockingThreadPool.Shared, function, cancellationToken);

    /// <summary>Runs <paramref name="action"/> on a dedicated thread and completes when it returns.</summary>
    /// <param name="action">The blocking call.</param>
    /// <param name="cancellationToken">Abandons the wait (see the remarks on <see cref="ToThread"/>).</param>
    /// <returns>A task with the call's outcome. It never completes synchronously, except when <paramref name="cancellationToken"/> is already cancelled.</returns>
    public static Task RunAsync(Action action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync(
            BlockingThreadPool.Shared,
            () =>
            {
                action();
                return true;
            },
            cancellationToken);
    }

    internal static Task<T> RunAsync<T>(BlockingThreadPool pool, Func<T> function, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var call = new Call<T>(function, AsyncLoop.Current, pool.Id, cancellationToken);
        pool.Queue(static s => ((Call<T>)s!).Execute(), call);
        return call.Task;
    }

    private sealed class Call<T> : TaskCompletionSource<T>
    {
        private readonly Func<T> _function;
        private readonly long _poolId;
        private readonly CancellationToken _cancellationToken;
        private AsyncLoop? _loop;
        private CancellationTokenRegistration _registration;

        public Call(Func<T> function, AsyncLoop? loop, long poolId, CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _function = function;
            _poolId = poolId;
            _cancellationToken = cancellationToken;
            _loop = loop;
            loop?.BeginOffLoopOperation();
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static s => ((Call<T>)s!).Abandon(), this);
            }
        }

        public void Execute()
        {
            if (Task.IsCompleted)
            {
                return; // Cancelled while queued: the call never starts.
            }

            T result;
            try
            {
                result = _function();
            }
#pragma warning disable CA1031 // The exception travels to the caller through the task.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Unregister();
                if (!TrySetException(ex))
                {
                    BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.UnobservedFault, _poolId, "ToThread", Message: "a blocking call whose wait was cancelled failed afterwards", Exception: ex));
                }

                Done();
                return;
            }

            Unregister();
            TrySetResult(result);
            Done();
        }

        private void Abandon()
        {
            TrySetCanceled(_cancellationToken);
            Done();
        }

        // Before the completion, which may resume the caller at once on another thread: the caller
        // finds its token as it left it. Waits for an abandon running on another thread to finish.
        private void Unregister() => _registration.Dispose();

        // The completion was posted to the loop (if any) before this: the loop never sees a moment
        // with neither the operation counted nor its continuation queued.
        private void Done() => Interlocked.Exchange(ref _loop, null)?.EndOffLoopOperation();
    }
}
