using BenchmarkDotNet.Attributes;
using Braid.Structured;

namespace Braid.Benchmarks.Structured;

/// <summary>
/// Spawn and join 100,000 trivial children: <see cref="TaskGroup"/> against <see cref="Task.WhenAll(Task[])"/>.
/// Target (issue 2): within 1.5x of Task.WhenAll, at most 64 extra bytes per child.
/// <c>Yield = false</c>: children complete synchronously; <c>Yield = true</c>: each child awaits
/// <see cref="Task.Yield"/> once, so every child is pending when it is joined.
/// <c>TaskGroupStartFromAnotherScope</c> starts the children from inside a <see cref="CancelScope"/>
/// in the body, so each child pays the switch of the ambient chain to its group and back (design rule 13).
/// </summary>
[MemoryDiagnoser]
public class TaskGroupBenchmarks
{
    private const int Children = 100_000;

    private static readonly Func<CancellationToken, Task> CompletedChild = static _ => Task.CompletedTask;
    private static readonly Func<CancellationToken, Task> YieldingChild = YieldOnceAsync;

    private Task[] _tasks = [];

    [Params(false, true)]
    public bool Yield { get; set; }

    [GlobalSetup]
    public void Setup() => _tasks = new Task[Children];

    [Benchmark(Baseline = true, OperationsPerInvoke = Children)]
    public async Task WhenAll()
    {
        var child = Yield ? YieldingChild : CompletedChild;
        var tasks = new Task[Children]; // Allocated per run, as a caller of Task.WhenAll must.
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = child(CancellationToken.None);
        }

        await Task.WhenAll(tasks);
    }

    [Benchmark(OperationsPerInvoke = Children)]
    public Task TaskGroupStart()
    {
        var child = Yield ? YieldingChild : CompletedChild;
        return TaskGroup.RunAsync(group =>
        {
            for (var i = 0; i < Children; i++)
            {
                group.Start(child);
            }

            return Task.CompletedTask;
        });
    }

    [Benchmark(OperationsPerInvoke = Children)]
    public Task TaskGroupStartFromAnotherScope()
    {
        var child = Yield ? YieldingChild : CompletedChild;
        return TaskGroup.RunAsync(group => CancelScope.RunAsync(
            _ =>
            {
                for (var i = 0; i < Children; i++)
                {
                    group.Start(child);
                }

                return Task.CompletedTask;
            },
            CancellationToken.None));
    }

    private static async Task YieldOnceAsync(CancellationToken cancellationToken) => await Task.Yield();
}
