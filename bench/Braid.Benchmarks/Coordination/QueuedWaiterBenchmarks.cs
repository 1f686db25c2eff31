// The harness drives awaiters by hand (cached continuations, no state machines) to measure only the
// primitives' own allocations; holders are taken on locks known to be free.
#pragma warning disable CA2012, VSTHRD103
using System.Threading.Tasks.Sources;
using BenchmarkDotNet.Attributes;
using Braid.Coordination;

namespace Braid.Benchmarks.Coordination;

/// <summary>
/// What a queued waiter costs: one holder, <see cref="Waiters"/> queued acquisitions, then a chain of
/// hand-offs. Continuations are attached with cached delegates (no async state machines), so the bytes
/// reported per operation are the primitive's own cost per queued acquisition. Target: at most 32 bytes.
/// </summary>
[MemoryDiagnoser]
public class QueuedWaiterBenchmarks
{
    private const int Waiters = 64;
    private const int Operations = Waiters + 1;

    private readonly SemaphoreSlim _semaphoreSlim = new(1, 1);
    private readonly AsyncLock _braidLock = new();
    private readonly Nito.AsyncEx.AsyncLock _nito = new();
    private readonly DotNext.Threading.AsyncExclusiveLock _dotNext = new();
    private readonly Microsoft.VisualStudio.Threading.AsyncSemaphore _vs = new(1);
    private readonly Done _done = new();

    private readonly Task[] _semaphoreSlimPending = new Task[Waiters];
    private readonly ValueTask<AsyncLock.Releaser>[] _braidPending = new ValueTask<AsyncLock.Releaser>[Waiters];
    private readonly Task<IDisposable>[] _nitoPending = new Task<IDisposable>[Waiters];
    private readonly ValueTask[] _dotNextPending = new ValueTask[Waiters];
    private readonly Task<Microsoft.VisualStudio.Threading.AsyncSemaphore.Releaser>[] _vsPending = new Task<Microsoft.VisualStudio.Threading.AsyncSemaphore.Releaser>[Waiters];

    private readonly Action[] _semaphoreSlimContinuations = new Action[Waiters];
    private readonly Action[] _braidContinuations = new Action[Waiters];
    private readonly Action[] _nitoContinuations = new Action[Waiters];
    private readonly Action[] _dotNextContinuations = new Action[Waiters];
    private readonly Action[] _vsContinuations = new Action[Waiters];

    public QueuedWaiterBenchmarks()
    {
        for (var i = 0; i < Waiters; i++)
        {
            var index = i;
            _semaphoreSlimContinuations[i] = () =>
            {
                _semaphoreSlimPending[index].GetAwaiter().GetResult();
                _semaphoreSlim.Release();
                _done.Arrive();
            };
            _braidContinuations[i] = () =>
            {
                _braidPending[index].GetAwaiter().GetResult().Dispose();
                _done.Arrive();
            };
            _nitoContinuations[i] = () =>
            {
                _nitoPending[index].GetAwaiter().GetResult().Dispose();
                _done.Arrive();
            };
            _dotNextContinuations[i] = () =>
            {
                _dotNextPending[index].GetAwaiter().GetResult();
                _dotNext.Release();
                _done.Arrive();
            };
            _vsContinuations[i] = () =>
            {
                _vsPending[index].GetAwaiter().GetResult().Dispose();
                _done.Arrive();
            };
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public ValueTask SemaphoreSlim()
    {
        _semaphoreSlim.Wait();
        _done.Reset(Waiters);
        for (var i = 0; i < Waiters; i++)
        {
            _semaphoreSlimPending[i] = _semaphoreSlim.WaitAsync();
            _semaphoreSlimPending[i].GetAwaiter().UnsafeOnCompleted(_semaphoreSlimContinuations[i]);
        }

        _semaphoreSlim.Release();
        return _done.Task;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public ValueTask BraidAsyncLock()
    {
        _braidLock.TryLock(out var holder);
        _done.Reset(Waiters);
        for (var i = 0; i < Waiters; i++)
        {
            _braidPending[i] = _braidLock.LockAsync();
            _braidPending[i].GetAwaiter().UnsafeOnCompleted(_braidContinuations[i]);
        }

        holder.Dispose();
        return _done.Task;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public ValueTask NitoAsyncLock()
    {
        var holder = _nito.Lock();
        _done.Reset(Waiters);
        for (var i = 0; i < Waiters; i++)
        {
            _nitoPending[i] = _nito.LockAsync().AsTask();
            _nitoPending[i].GetAwaiter().UnsafeOnCompleted(_nitoContinuations[i]);
        }

        holder.Dispose();
        return _done.Task;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public ValueTask DotNextAsyncExclusiveLock()
    {
        _dotNext.TryAcquire();
        _done.Reset(Waiters);
        for (var i = 0; i < Waiters; i++)
        {
            _dotNextPending[i] = _dotNext.AcquireAsync();
            _dotNextPending[i].GetAwaiter().UnsafeOnCompleted(_dotNextContinuations[i]);
        }

        _dotNext.Release();
        return _done.Task;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public ValueTask VsThreadingAsyncSemaphore()
    {
        var holder = _vs.EnterAsync().GetAwaiter().GetResult();
        _done.Reset(Waiters);
        for (var i = 0; i < Waiters; i++)
        {
            _vsPending[i] = _vs.EnterAsync();
            _vsPending[i].GetAwaiter().UnsafeOnCompleted(_vsContinuations[i]);
        }

        holder.Dispose();
        return _done.Task;
    }

    // A reusable completion signal, so the harness itself allocates nothing per invocation.
    private sealed class Done : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
        private int _remaining;

        public ValueTask Task => new(this, _core.Version);

        public void Reset(int count)
        {
            _core.Reset();
            _remaining = count;
        }

        public void Arrive()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _core.SetResult(true);
            }
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
