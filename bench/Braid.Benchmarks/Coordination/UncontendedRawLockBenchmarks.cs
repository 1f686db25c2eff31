using BenchmarkDotNet.Attributes;
using Braid.Coordination;

namespace Braid.Benchmarks.Coordination;

/// <summary>
/// One uncontended acquire and release without an async method around it: the primitive's own cost.
/// (<see cref="UncontendedLockBenchmarks"/> measures the same inside an <c>async</c> method, as users write
/// it.) Every acquisition here completes synchronously, so reading its result is safe.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA2012, VSTHRD002, VSTHRD103 // results of acquisitions that completed synchronously
public class UncontendedRawLockBenchmarks
{
    private readonly SemaphoreSlim _semaphoreSlim = new(1, 1);
    private readonly AsyncLock _braidLock = new();
    private readonly Nito.AsyncEx.AsyncLock _nito = new();
    private readonly DotNext.Threading.AsyncExclusiveLock _dotNext = new();
    private readonly Microsoft.VisualStudio.Threading.AsyncSemaphore _vs = new(1);

    [Benchmark(Baseline = true)]
    public void SemaphoreSlim()
    {
        _semaphoreSlim.WaitAsync().GetAwaiter().GetResult();
        _semaphoreSlim.Release();
    }

    [Benchmark]
    public void BraidAsyncLock() => _braidLock.LockAsync().Result.Dispose();

    [Benchmark]
    public void NitoAsyncLock() => _nito.LockAsync().AsTask().Result.Dispose();

    [Benchmark]
    public void DotNextAsyncExclusiveLock()
    {
        _dotNext.AcquireAsync().GetAwaiter().GetResult();
        _dotNext.Release();
    }

    [Benchmark]
    public void VsThreadingAsyncSemaphore() => _vs.EnterAsync().Result.Dispose();
}
