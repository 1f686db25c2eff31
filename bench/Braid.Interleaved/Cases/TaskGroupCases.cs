using Braid.Structured;

namespace Braid.Interleaved.Cases;

/// <summary>
/// Spawn and join 100,000 children: <see cref="TaskGroup"/> against <see cref="Task.WhenAll(Task[])"/>.
/// The plain groups start the children from the harness's own flow, which after its first await is a
/// thread-pool thread (as in a user's <c>async Main</c>); the <c>-dedicated-thread</c> groups start them
/// from a thread of their own that blocks on the result, as BenchmarkDotNet's main thread does, so the
/// two harnesses can be compared on the same footing (bench/README.md, fourth session).
/// </summary>
internal static class TaskGroupCases
{
    private const int Children = 100_000;

    public static IEnumerable<BenchCase> All()
    {
        foreach (var dedicated in new[] { false, true })
        {
            foreach (var yields in new[] { false, true })
            {
                var group = (yields ? "taskgroup/yielding-child" : "taskgroup/sync-child") + (dedicated ? "-dedicated-thread" : string.Empty);
                Func<CancellationToken, Task> child = yields ? YieldOnceAsync : static _ => Task.CompletedTask;
                yield return new BenchCase(group, "Task.WhenAll", Children, Run(dedicated, () => WhenAllAsync(child)), IsBaseline: true);
                yield return new BenchCase(group, "TaskGroup.Start", Children, Run(dedicated, () => TaskGroupAsync(child)));
            }
        }
    }

    private static Func<Task<long>> Run(bool dedicated, Func<Task<long>> body) => dedicated
        ? () => Task.Factory.StartNew(() => body().GetAwaiter().GetResult(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
        : body;

    private static async Task<long> WhenAllAsync(Func<CancellationToken, Task> child)
    {
        var tasks = new Task[Children];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = child(CancellationToken.None);
        }

        await Task.WhenAll(tasks);
        return Children;
    }

    private static async Task<long> TaskGroupAsync(Func<CancellationToken, Task> child)
    {
        var started = 0L;
        await TaskGroup.RunAsync(group =>
        {
            for (var i = 0; i < Children; i++)
            {
                group.Start(child);
                started++;
            }

            return Task.CompletedTask;
        });
        return started;
    }

    private static async Task YieldOnceAsync(CancellationToken cancellationToken) => await Task.Yield();
}
