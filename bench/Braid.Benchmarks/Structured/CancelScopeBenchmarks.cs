using BenchmarkDotNet.Attributes;
using Braid.Structured;

namespace Braid.Benchmarks.Structured;

/// <summary>
/// The cost of entering and leaving a scope without a deadline under a cancellable outer token:
/// <see cref="CancelScope.RunAsync(Func{CancelScope, Task}, CancellationToken)"/> against the
/// hand-written equivalent, a linked <see cref="CancellationTokenSource"/> created and disposed.
/// </summary>
[MemoryDiagnoser]
public class CancelScopeBenchmarks
{
    private static readonly Func<CancelScope, Task> ScopeBody = static _ => Task.CompletedTask;
    private static readonly Func<CancellationToken, Task> TokenBody = static _ => Task.CompletedTask;

    private readonly CancellationTokenSource _outer = new();

    [GlobalCleanup]
    public void Cleanup() => _outer.Dispose();

    [Benchmark(Baseline = true)]
    public async Task LinkedTokenSource()
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_outer.Token);
        await TokenBody(linked.Token);
    }

    [Benchmark]
    public Task<CancelScope> CancelScopeRun() => CancelScope.RunAsync(ScopeBody, _outer.Token);

    [Benchmark]
    public Task TaskGroupEmpty() => TaskGroup.RunAsync(static _ => Task.CompletedTask, _outer.Token);
}
