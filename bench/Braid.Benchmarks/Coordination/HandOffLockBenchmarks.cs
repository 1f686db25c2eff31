using BenchmarkDotNet.Attributes;
using Braid.Coordination;

namespace Braid.Benchmarks.Coordination;

/// <summary>
/// Contended throughput where every acquisition really waits: <see cref="Workers"/> tasks each take the
/// lock <see cref="Rounds"/> times and yield while holding it, so the others queue and every release is a
/// hand-off through the thread pool. Complements <see cref="ContendedLockBenchmarks"/>, where a worker often
/// re-takes a free lock on the fast path. Target: at least the fastest anchor.
/// </summary>
[MemoryDiagnoser]
public class HandOffLockBenchmarks
{
    private const int Workers = 4;
    private const int Rounds = 500;
    private const int Operations = Workers * Rounds;

    private readonly SemaphoreSlim _semaphoreSlim = new(1, 1);
    private readonly AsyncLock _braidLock = new();
    private readonly Nito.AsyncEx.AsyncLock _nito = new();
    private readonly DotNext.Threading.AsyncExclusiveLock _dotNext = new();
    private readonly Microsoft.VisualStudio.Threading.AsyncSemaphore _vs = new(1);
    private long _counter;

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public Task SemaphoreSlim() => RunAsync(async () =>
    {
        for (var i = 0; i < Rounds; i++)
        {
            await _semaphoreSlim.WaitAsync();
            await Task.Yield();
            _counter++;
            _semaphoreSlim.Release();
        }
    });

    [Benchmark(OperationsPerInvoke = Operations)]
    public Task BraidAsyncLock() => RunAsync(async () =>
    {
        for (var i = 0; i < Rounds; i++)
        {
            using (await _braidLock.LockAsync())
            {
                await Task.Yield();
                _counter++;
            }
        }
    });

    [Benchmark(OperationsPerInvoke = Operations)]
    public Task NitoAsyncLock() => RunAsync(async () =>
    {
        for (var i = 0; i < Rounds; i++)
        {
            using (await _nito.LockAsync())
            {
                await Task.Yield();
                _counter++;
            }
        }
    });

    [Benchmark(OperationsPerInvoke = Operations)]
    public Task DotNextAsyncExclusiveLock() => RunAsync(async () =>
    {
        for (var i = 0; i < Rounds; i++)
        {
            await _dotNext.AcquireAsync();
            await Task.Yield();
            _counter++;
            _dotNext.Release();
        }
    });

    [Benchmark(OperationsPerInvoke = Operations)]
    public Task VsThreadingAsyncSemaphore() => RunAsync(async () =>
    {
        for (var i = 0; i < Rounds; i++)
        {
            using (await _vs.EnterAsync())
            {
                await Task.Yield();
                _counter++;
            }
        }
    });

    private static Task RunAsync(Func<Task> worker)
    {
        var tasks = new Task[Workers];
        for (var i = 0; i < Workers; i++)
        {
            tasks[i] = Task.Run(worker);
        }

        return Task.WhenAll(tasks);
    }
}
