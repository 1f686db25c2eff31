using Braid.Structured;

namespace Braid.Tests.Structured;

/// <summary>
/// Pending unnamed children off a loop share one callback per batch of eight, and each callback
/// claims the first finished child of its batch not yet claimed (design rule 19). These tests mix
/// callbacks that run inline with callbacks queued to the pool (a child released under a foreign
/// <see cref="SynchronizationContext"/>), so callbacks often claim a sibling's child instead of their
/// own: every child must still be accounted exactly once, and every failure reported.
/// </summary>
public sealed class ChildBatchTests
{
    [Fact]
    public async Task Every_child_is_accounted_once_when_callbacks_claim_each_others_children()
    {
        const int count = 20; // Two full batches and a partial one.
        for (var round = 0; round < 30; round++)
        {
            var gates = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource()).ToArray();
            var failing = new HashSet<int> { 3, 9, 10, 17 };
            var late = new HashSet<int> { 0, 1, 4, 8, 9, 12, 16, 19 };
            var order = Enumerable.Range(0, count).OrderBy(i => (i * 7 + round) % count).ToArray();
            TaskGroup? seen = null;
            var run = TaskGroup.RunAsync(
                group =>
                {
                    seen = group;
                    foreach (var gate in gates)
                    {
                        group.Start(_ => gate.Task);
                    }

                    return Task.CompletedTask;
                },
                new TaskGroupOptions { Supervisor = true });

            await Task.Run(() =>
            {
                foreach (var i in order)
                {
                    // A late child's callback is queued to the pool instead of running in SetResult.
                    SynchronizationContext.SetSynchronizationContext(late.Contains(i) ? new ForeignContext() : null);
                    if (failing.Contains(i))
                    {
                        gates[i].SetException(new InvalidOperationException($"child {i}"));
                    }
                    else
                    {
                        gates[i].SetResult();
                    }
                }

                SynchronizationContext.SetSynchronizationContext(null);
            });

            var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);
            Assert.Equal(
                failing.Select(i => $"child {i}").Order(StringComparer.Ordinal),
                error.InnerExceptions.Select(e => e.Message).Order(StringComparer.Ordinal));
            Assert.Equal(new TaskGroupStatistics(0, count - failing.Count, failing.Count, 0, false, true), seen!.GetStatistics());
        }
    }

    [Fact]
    public async Task Children_that_end_in_the_order_they_started_are_each_accounted_by_their_own_callback()
    {
        // Released inline, in start order, on one thread: after each release exactly that child is
        // accounted, so the statistics move one child at a time.
        await Task.Run(async () =>
        {
            const int count = 12;
            var gates = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource()).ToArray();
            TaskGroup? seen = null;
            var run = TaskGroup.RunAsync(group =>
            {
                seen = group;
                foreach (var gate in gates)
                {
                    group.Start(_ => gate.Task);
                }

                return Task.CompletedTask;
            });

            for (var i = 0; i < count; i++)
            {
                gates[i].SetResult();
                Assert.Equal(new TaskGroupStatistics(count - i - 1, i + 1, 0, 0, false, i == count - 1), seen!.GetStatistics());
            }

            await run;
        });
    }

    private sealed class ForeignContext : SynchronizationContext;
}
