using BenchmarkDotNet.Attributes;
using Braid.Coordination;
using Braid.Loop;

namespace Braid.Benchmarks.Loop;

/// <summary>
/// What a wake costs on an <see cref="AsyncLoop"/> (design rule 36): <see cref="Waiters"/> tasks queue on a held
/// lock and are handed it in a chain, or wait on one event that is set once; each task is an ordinary async method
/// on the loop. Both sides pay the same state machines and task array; the difference is the wake itself: a loop
/// step posted by the release (Braid), against <see cref="SemaphoreSlim"/>'s completion posting the await's
/// continuation to the loop's context.
/// </summary>
[MemoryDiagnoser]
public class LoopHandOffBenchmarks
{
    private const int Waiters = 1_000;

    private readonly SemaphoreSlim _semaphoreSlim = new(1, 1);
    private readonly AsyncLock _lock = new();

    [Benchmark(Baseline = true, OperationsPerInvoke = Waiters)]
    public void SemaphoreSlimHandOffChain() => AsyncLoop.Run(async () =>
    {
        await _semaphoreSlim.WaitAsync();
        var tasks = new Task[Waiters];
        for (var i = 0; i < Waiters; i++)
        {
            tasks[i] = OneAsync(_semaphoreSlim);
        }

        _semaphoreSlim.Release();
        await Task.WhenAll(tasks);

        static async Task OneAsync(SemaphoreSlim semaphore)
        {
            await semaphore.WaitAsync();
            semaphore.Release();
        }
    });

    [Benchmark(OperationsPerInvoke = Waiters)]
    public void BraidAsyncLockHandOffChain() => AsyncLoop.Run(async () =>
    {
        var holder = await _lock.LockAsync();
        var tasks = new Task[Waiters];
        for (var i = 0; i < Waiters; i++)
        {
            tasks[i] = OneAsync(_lock);
        }

        holder.Dispose();
        await Task.WhenAll(tasks);

        static async Task OneAsync(AsyncLock l)
        {
            using (await l.LockAsync())
            {
            }
        }
    });

    [Benchmark(OperationsPerInvoke = Waiters)]
    public void TaskCompletionSourceBroadcast() => AsyncLoop.Run(async () =>
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = new Task[Waiters];
        for (var i = 0; i < Waiters; i++)
        {
            tasks[i] = OneAsync(signal.Task);
        }

        signal.SetResult();
        await Task.WhenAll(tasks);

        static async Task OneAsync(Task signal) => await signal;
    });

    [Benchmark(OperationsPerInvoke = Waiters)]
    public void BraidAsyncEventBroadcast() => AsyncLoop.Run(async () =>
    {
        var signal = new AsyncEvent();
        var tasks = new Task[Waiters];
        for (var i = 0; i < Waiters; i++)
        {
            tasks[i] = OneAsync(signal);
        }

        signal.Set();
        await Task.WhenAll(tasks);

        static async Task OneAsync(AsyncEvent signal) => await signal.WaitAsync();
    });
}
