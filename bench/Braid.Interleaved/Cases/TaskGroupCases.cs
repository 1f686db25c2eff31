using Braid.Structured;

namespace Braid.Interleaved.Cases;

/// <summary>Spawn and join 100,000 children: <see cref="TaskGroup"/> against <see cref="Task.WhenAll(Task[])"/>.</summary>
internal static class TaskGroupCases
{
    private const int Children = 100_000;

    public static IEnumerable<BenchCase> All()
    {
        foreach (var yields in new[] { false, true })
        {
            var group = yields ? "taskgroup/yielding-child" : "taskgroup/sync-child";
            Func<CancellationToken, Task> child = yields ? YieldOnceAsync : static _ => Task.CompletedTask;
            yield return new BenchCase(group, "Task.WhenAll", Children, () => WhenAllAsync(child), IsBaseline: true);
            yield return new BenchCase(group, "TaskGroup.Start", Children, () => TaskGroupAsync(child));
        }
    }

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
