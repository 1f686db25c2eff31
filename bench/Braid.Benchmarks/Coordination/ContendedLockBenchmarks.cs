using BenchmarkDotNet.Attributes;
using Braid.Coordination;

namespace Braid.Benchmarks.Coordination;

/// <summary>
/// Contended throughput: <see cref="Workers"/> thread-pool tasks each take and release the lock
/// <see cref="Rounds"/> times around a tiny critical section. Target: at least the fastest anchor.
/// </summary>
[MemoryDiagnoser]
public class ContendedLockBenchmarks
{
    private const int Workers = 4;
    private const int Rounds = 2_000;
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
