using System.Collections.Concurrent;

namespace Braid.Tests.Structured;

/// <summary>A single-threaded SynchronizationContext that pumps posted callbacks on one dedicated thread.</summary>
internal sealed class SingleThreadContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
    private readonly Thread _thread;

    private SingleThreadContext()
    {
        _thread = new Thread(Pump) { IsBackground = true, Name = "single-thread-context" };
    }

    public int ThreadId => _thread.ManagedThreadId;

    /// <summary>Runs <paramref name="start"/> on a fresh single-threaded context and completes with its task.</summary>
    public static Task<T> RunAsync<T>(Func<SingleThreadContext, Task<T>> start)
    {
        var context = new SingleThreadContext();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        context._thread.Start();
        context.Post(_ => _ = ForwardAsync(start, context, done), null);
        return done.Task;
    }

    private static async Task ForwardAsync<T>(Func<SingleThreadContext, Task<T>> start, SingleThreadContext context, TaskCompletionSource<T> done)
    {
        try
        {
            done.SetResult(await start(context).ConfigureAwait(false));
        }
        catch (Exception exception)
        {
            done.SetException(exception);
        }
        finally
        {
            context.Dispose();
        }
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        try
        {
            _queue.Add((d, state));
        }
        catch (InvalidOperationException)
        {
            // Completed: the test has finished with this context; run the straggler on the pool.
            ThreadPool.QueueUserWorkItem(_ => d(state));
        }
    }

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();

    public void Dispose() => _queue.CompleteAdding();

    private void Pump()
    {
        SetSynchronizationContext(this);
        foreach (var (callback, state) in _queue.GetConsumingEnumerable())
        {
            callback(state);
        }
    }
}
