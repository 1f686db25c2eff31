using BenchmarkDotNet.Attributes;
using Braid.Coordination;

namespace Braid.Benchmarks.Coordination;

/// <summary>One uncontended acquire and release, awaited. Target: at most 30 ns and 0 bytes.</summary>
[MemoryDiagnoser]
public class UncontendedLockBenchmarks
{
    private readonly SemaphoreSlim _semaphoreSlim = new(1, 1);
    private readonly AsyncLock _braidLock = new();
    private readonly AsyncSemaphore _braidSemaphore = new(1, 1);
    private readonly AsyncReaderWriterLock _braidReaderWriter = new();
    private readonly Nito.AsyncEx.AsyncLock _nito = new();
    private readonly DotNext.Threading.AsyncExclusiveLock _dotNext = new();
    private readonly Microsoft.VisualStudio.Threading.AsyncSemaphore _vs = new(1);

    [Benchmark(Baseline = true)]
    public async Task SemaphoreSlim()
    {
        await _semaphoreSlim.WaitAsync();
        _semaphoreSlim.Release();
    }

    [Benchmark]
    public async Task BraidAsyncLock()
    {
        using (await _braidLock.LockAsync())
        {
        }
    }

    [Benchmark]
    public async Task BraidAsyncSemaphore()
    {
        await _braidSemaphore.WaitAsync();
        _braidSemaphore.Release();
    }

    [Benchmark]
    public async Task BraidReaderWriterWriter()
    {
        using (await _braidReaderWriter.WriterLockAsync())
        {
        }
    }

    [Benchmark]
    public async Task NitoAsyncLock()
    {
        using (await _nito.LockAsync())
        {
        }
    }

    [Benchmark]
    public async Task DotNextAsyncExclusiveLock()
    {
        await _dotNext.AcquireAsync();
        _dotNext.Release();
    }

    [Benchmark]
    public async Task VsThreadingAsyncSemaphore()
    {
        using (await _vs.EnterAsync())
        {
        }
    }
}
