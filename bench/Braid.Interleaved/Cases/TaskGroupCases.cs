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
                if (yields)
                {
                    yield return new BenchCase(group, "callback per child, no group", Children, Run(dedicated, () => CallbackPerChildAsync(child)));
                    yield return new BenchCase(group, "Task.WhenAll, an AsyncLocal set", Children, Run(dedicated, () => WhenAllUnderAsyncLocalAsync(child)));
                }
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

    /// <summary>
    /// What any structure pays that accounts for each child as it ends (a group must: the first failure
    /// cancels the rest at once), without a group: one shared callback registered on every child as it
    /// starts, which decrements a shared count; the last one completes the join. No scan, no claim, no
    /// statistics, no failures: a lower bound for <see cref="TaskGroup"/>, not an alternative to it.
    /// </summary>
    private static async Task<long> CallbackPerChildAsync(Func<CancellationToken, Task> child)
    {
        var counter = new EndCounter(Children);
        for (var i = 0; i < Children; i++)
        {
            var task = child(CancellationToken.None);
            if (task.IsCompleted)
            {
                counter.OnEnded();
            }
            else
            {
                task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(counter.Callback);
            }
        }

        await counter.Task;
        return Children;
    }

    private static readonly AsyncLocal<object?> Ambient = new();

    /// <summary>
    /// <see cref="Task.WhenAll(Task[])"/> with one <see cref="AsyncLocal{T}"/> set while the children
    /// start, as a group's children run with the group as their ambient link (design rule 13): every
    /// continuation of a child then restores a non-default execution context on the pool thread.
    /// </summary>
    private static async Task<long> WhenAllUnderAsyncLocalAsync(Func<CancellationToken, Task> child)
    {
        Ambient.Value = Ambient;
        return await WhenAllAsync(child);
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

    private sealed class EndCounter
    {
        private readonly TaskCompletionSource _ended = new();
        private int _remaining;

        public EndCounter(int count)
        {
            _remaining = count;
            Callback = OnEnded;
        }

        public Action Callback { get; }

        public Task Task => _ended.Task;

        public void OnEnded()
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _ended.SetResult();
            }
        }
    }

    private static async Task YieldOnceAsync(CancellationToken cancellationToken) => await Task.Yield();
}
