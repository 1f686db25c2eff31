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

    [Fact]
    public async Task Children_that_end_out_of_order_on_two_threads_are_each_accounted_once()
    {
        // Two full batches and a partial one started in the body's synchronous part (the batches hold
        // units of the group's count through _inlinePending), then as many again after an await (from a
        // pool thread: each child enters counted and hands its unit to its batch or back). Two threads
        // end them at the same time, one the even children backwards, the other the odd ones forwards,
        // so callbacks of one batch race on its state word and claim each other's children.
        const int half = 20;
        for (var round = 0; round < 40; round++)
        {
            var gates = Enumerable.Range(0, 2 * half).Select(_ => new TaskCompletionSource()).ToArray();
            var failing = new HashSet<int> { 5, 6, 22, 39 };
            var allStarted = new TaskCompletionSource();
            TaskGroup? seen = null;
            var run = TaskGroup.RunAsync(
                async group =>
                {
                    seen = group;
                    for (var i = 0; i < half; i++)
                    {
                        var gate = gates[i];
                        group.Start(_ => gate.Task);
                    }

                    await Task.Yield();
                    for (var i = half; i < 2 * half; i++)
                    {
                        var gate = gates[i];
                        group.Start(_ => gate.Task);
                    }

                    allStarted.SetResult();
                },
                new TaskGroupOptions { Supervisor = true });
            await allStarted.Task;

            using var bothReady = new Barrier(2);
            void Release(IEnumerable<int> indices)
            {
                bothReady.SignalAndWait();
                foreach (var i in indices)
                {
                    if (failing.Contains(i))
                    {
                        gates[i].SetException(new InvalidOperationException($"child {i}"));
                    }
                    else
                    {
                        gates[i].SetResult();
                    }
                }
            }

            var evens = new Thread(() => Release(Enumerable.Range(0, half).Select(k => 2 * (half - 1 - k))));
            var odds = new Thread(() => Release(Enumerable.Range(0, half).Select(k => (2 * k) + 1)));
            evens.Start();
            odds.Start();
            evens.Join();
            odds.Join();

            var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);
            Assert.Equal(
                failing.Select(i => $"child {i}").Order(StringComparer.Ordinal),
                error.InnerExceptions.Select(e => e.Message).Order(StringComparer.Ordinal));
            Assert.Equal(new TaskGroupStatistics(0, (2 * half) - failing.Count, failing.Count, 0, false, true), seen!.GetStatistics());
        }
    }

    [Fact]
    public Task A_failure_in_the_middle_of_a_batch_cancels_the_group_before_the_batch_s_other_children_end() => Task.Run(async () =>
    {
        // The failing child is the fourth of a full batch; the three before it and the four after it
        // are still running when it fails. Its outcome is counted and the group cancelled inside
        // SetException, without waiting for the batch to catch up.
        var gates = Enumerable.Range(0, 8).Select(_ => new TaskCompletionSource()).ToArray();
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

        gates[3].SetException(new InvalidOperationException("child 3"));
        Assert.True(seen!.CancellationToken.IsCancellationRequested);
        Assert.Equal(new TaskGroupStatistics(7, 0, 1, 0, true, false), seen.GetStatistics());

        foreach (var i in new[] { 7, 0, 6, 1, 5, 2, 4 })
        {
            gates[i].SetCanceled(seen.CancellationToken);
        }

        var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);
        Assert.Equal("child 3", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(new TaskGroupStatistics(0, 0, 1, 7, true, true), seen.GetStatistics());
    });

    [Fact]
    public Task A_batch_whose_children_have_all_ended_releases_the_group_and_holds_it_again_for_a_later_child() => Task.Run(async () =>
    {
        // In the body's synchronous part: two children end (their batch catches up and gives its unit
        // back), then a third joins the same batch, which must hold the group open again until it ends.
        var gates = Enumerable.Range(0, 3).Select(_ => new TaskCompletionSource()).ToArray();
        TaskGroup? seen = null;
        var run = TaskGroup.RunAsync(group =>
        {
            seen = group;
            group.Start(_ => gates[0].Task);
            group.Start(_ => gates[1].Task);
            gates[1].SetResult();
            gates[0].SetResult();
            Assert.Equal(new TaskGroupStatistics(0, 2, 0, 0, false, false), group.GetStatistics());
            group.Start(_ => gates[2].Task);
            return Task.CompletedTask;
        });

        Assert.False(run.IsCompleted);
        Assert.Equal(new TaskGroupStatistics(1, 2, 0, 0, false, false), seen!.GetStatistics());
        gates[2].SetResult();
        Assert.True(run.IsCompletedSuccessfully);
        Assert.Equal(new TaskGroupStatistics(0, 3, 0, 0, false, true), seen.GetStatistics());
    });

    [Fact]
    public Task A_batch_that_caught_up_holds_the_group_again_for_a_child_started_from_another_thread() => Task.Run(async () =>
    {
        // The same after the body's synchronous part: children enter counted, the first hands its unit
        // to the batch, the second hands its back; once both ended the batch holds nothing, and the
        // third child's unit goes to the batch again. The body's own unit hides nothing: the group is
        // checked after the body has ended.
        var gates = Enumerable.Range(0, 3).Select(_ => new TaskCompletionSource()).ToArray();
        var bodyGate = new TaskCompletionSource();
        TaskGroup? seen = null;
        var run = TaskGroup.RunAsync(async group =>
        {
            seen = group;
            await bodyGate.Task;
        });

        seen!.Start(_ => gates[0].Task);
        seen.Start(_ => gates[1].Task);
        gates[0].SetResult();
        gates[1].SetResult();
        Assert.Equal(new TaskGroupStatistics(0, 2, 0, 0, false, false), seen.GetStatistics());
        seen.Start(_ => gates[2].Task);
        bodyGate.SetResult();
        Assert.False(run.IsCompleted);
        Assert.Equal(new TaskGroupStatistics(1, 2, 0, 0, false, false), seen.GetStatistics());
        gates[2].SetResult();
        Assert.True(run.IsCompletedSuccessfully);
        Assert.Equal(new TaskGroupStatistics(0, 3, 0, 0, false, true), seen.GetStatistics());
        await run;
    });

    [Fact]
    public async Task Children_started_by_the_body_and_by_a_sibling_on_another_thread_at_the_same_time_are_each_accounted_once()
    {
        // The body's synchronous part fills its own batches without atomics while a sibling, running on
        // a pool thread, fills the shared open batch: neither loses a child, and children ending on a
        // third thread while both still start more are each accounted once.
        const int perSide = 400;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var gates = Enumerable.Range(0, 2 * perSide).Select(_ => new TaskCompletionSource()).ToArray();
        var failing = new HashSet<int>(Enumerable.Range(0, 6).Select(_ => random.Next(gates.Length)));
        var order = Enumerable.Range(0, gates.Length).OrderBy(_ => random.Next()).ToArray();
        using var siblingRunning = new ManualResetEventSlim();
        TaskGroup? seen = null;
        var run = TaskGroup.RunAsync(
            group =>
            {
                seen = group;
                group.Start(async _ =>
                {
                    await Task.Yield(); // Now on a pool thread, outside the body's synchronous part.
                    siblingRunning.Set();
                    for (var i = perSide; i < 2 * perSide; i++)
                    {
                        var gate = gates[i];
                        group.Start(_ => gate.Task);
                    }
                });

                Assert.True(siblingRunning.Wait(TimeSpan.FromSeconds(30)), "the sibling never started");
                for (var i = 0; i < perSide; i++)
                {
                    var gate = gates[i];
                    group.Start(_ => gate.Task);
                    if (i == perSide / 2)
                    {
                        _ = Task.Run(() => Release(gates, failing, order));
                    }
                }

                return Task.CompletedTask;
            },
            new TaskGroupOptions { Supervisor = true });

        var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);
        Assert.True(
            failing.Count == error.InnerExceptions.Count,
            $"seed {seed}: {error.InnerExceptions.Count} failures reported, {failing.Count} expected");
        Assert.Equal(new TaskGroupStatistics(0, gates.Length - failing.Count + 1, failing.Count, 0, false, true), seen!.GetStatistics());

        static void Release(TaskCompletionSource[] gates, HashSet<int> failing, int[] order)
        {
            foreach (var i in order)
            {
                if (failing.Contains(i))
                {
                    gates[i].SetException(new InvalidOperationException($"child {i}"));
                }
                else
                {
                    gates[i].SetResult();
                }
            }
        }
    }

    private sealed class ForeignContext : SynchronizationContext;
}
