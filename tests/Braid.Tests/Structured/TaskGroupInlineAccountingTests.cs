using Braid.Structured;

namespace Braid.Tests.Structured;

/// <summary>
/// Children started on the thread running the body's synchronous part are counted without atomics
/// (design rule 19): the body holds the group open, and the pending ones are added to the group's count
/// when that part returns. These tests pin down that the accounting stays exact and that the group
/// still neither finishes early nor refuses a child while the body runs.
/// </summary>
public sealed class TaskGroupInlineAccountingTests
{
    // Continuations run inside SetResult: what the gate releases has happened when SetResult returns
    // (off xunit's SynchronizationContext, where the TPL inlines them: the tests run in Task.Run).
    private static TaskCompletionSource InlineGate() => new();

    private static void OnAnotherThread(Action action)
    {
        var thread = new Thread(() => action());
        thread.Start();
        thread.Join();
    }

    [Fact]
    public Task Statistics_are_exact_while_the_body_is_still_in_its_synchronous_part() => Task.Run(async () =>
    {
        var gates = new[] { InlineGate(), InlineGate(), InlineGate() };
        var snapshots = new List<TaskGroupStatistics>();
        TaskGroup? seen = null;
        var run = TaskGroup.RunAsync(group =>
        {
            seen = group;
            foreach (var gate in gates)
            {
                group.Start(_ => gate.Task);
            }

            group.Start(_ => Task.CompletedTask);
            group.Start(_ => Task.CompletedTask);
            snapshots.Add(group.GetStatistics());

            // One pending child ends inside the body's synchronous part, on this thread.
            gates[1].SetResult();
            snapshots.Add(group.GetStatistics());
            return Task.CompletedTask;
        });

        snapshots.Add(seen!.GetStatistics());
        gates[0].SetResult();
        gates[2].SetResult();
        await run;

        Assert.Equal(new TaskGroupStatistics(3, 2, 0, 0, false, false), snapshots[0]);
        Assert.Equal(new TaskGroupStatistics(2, 3, 0, 0, false, false), snapshots[1]);
        Assert.Equal(new TaskGroupStatistics(2, 3, 0, 0, false, false), snapshots[2]);
        Assert.Equal(new TaskGroupStatistics(0, 5, 0, 0, false, true), seen.GetStatistics());
    });

    [Fact]
    public Task Every_child_ending_inside_the_synchronous_part_does_not_finish_the_group_before_the_body() => Task.Run(async () =>
    {
        // All the children started so far have ended, on this thread, while the body runs on: the
        // group stays open, so the body can start another child and the group waits for it.
        var first = InlineGate();
        var last = InlineGate();
        var lastStarted = false;
        var run = TaskGroup.RunAsync(async group =>
        {
            group.Start(_ => first.Task);
            first.SetResult();
            Assert.Equal(new TaskGroupStatistics(0, 1, 0, 0, false, false), group.GetStatistics());

            group.Start(_ => last.Task);
            lastStarted = true;
            await Task.Yield();
        });

        Assert.True(lastStarted);
        Assert.False(run.IsCompleted);
        last.SetResult();
        await run;
    });

    [Fact]
    public async Task A_child_started_from_another_thread_while_the_body_runs_synchronously_is_counted()
    {
        // The body blocks in its synchronous part while a pool thread starts a child into the group:
        // that child takes the counted path and the group waits for it.
        var gate = InlineGate();
        TaskGroup? seen = null;
        var run = TaskGroup.RunAsync(group =>
        {
            seen = group;
            OnAnotherThread(() => group.Start(_ => gate.Task));
            OnAnotherThread(() => group.Start(_ => Task.CompletedTask));
            Assert.Equal(new TaskGroupStatistics(1, 1, 0, 0, false, false), group.GetStatistics());
            return Task.CompletedTask;
        });

        Assert.False(run.IsCompleted);
        Assert.Equal(new TaskGroupStatistics(1, 1, 0, 0, false, false), seen!.GetStatistics());
        gate.SetResult();
        await run;
        Assert.Equal(new TaskGroupStatistics(0, 2, 0, 0, false, true), seen.GetStatistics());
    }

    [Fact]
    public async Task A_child_of_an_outer_group_started_from_an_inner_body_is_accounted_by_the_outer_group()
    {
        // The inner body runs inside the outer body's synchronous part, on the same thread: the outer
        // group is held open by its body, and counts its children exactly.
        var gate = InlineGate();
        TaskGroup? outer = null;
        var run = TaskGroup.RunAsync(outerGroup =>
        {
            outer = outerGroup;
            return TaskGroup.RunAsync(inner =>
            {
                outerGroup.Start(_ => gate.Task);
                outerGroup.Start(_ => Task.CompletedTask);
                outerGroup.Start(_ => Task.FromException(new InvalidOperationException("boom")), "failing");
                return Task.CompletedTask;
            });
        });

        Assert.Equal(new TaskGroupStatistics(1, 1, 1, 0, true, false), outer!.GetStatistics());
        gate.SetResult();
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);
        Assert.Equal(["boom"], error.InnerExceptions.Select(e => e.Message));
        Assert.Equal(new TaskGroupStatistics(0, 2, 1, 0, true, true), outer.GetStatistics());
    }

    [Fact]
    public async Task A_synchronous_failure_in_the_synchronous_part_cancels_the_pending_children_at_once()
    {
        var cancelledBeforeBodyReturned = false;
        CancellationToken pendingToken = default;
        var run = TaskGroup.RunAsync(group =>
        {
            group.Start(async token =>
            {
                pendingToken = token;
                await Task.Delay(Timeout.InfiniteTimeSpan, token);
            });
            group.Start(_ => throw new InvalidOperationException("first"));
            cancelledBeforeBodyReturned = pendingToken.IsCancellationRequested;
            return Task.CompletedTask;
        });

        var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);
        Assert.True(cancelledBeforeBodyReturned);
        Assert.Equal(["first"], error.InnerExceptions.Select(e => e.Message));
    }

    [Fact]
    public Task Pending_unnamed_children_started_from_the_body_cost_one_shared_batch_per_eight() => Task.Run(async () =>
    {
        // Design rule 19: off a loop, pending unnamed children share a batch (104 B) and its one
        // delegate (64 B) per eight, 21 B a child; counting them without atomics adds nothing to that.
        const int count = 64;
        var gates = Enumerable.Range(0, count + 8).Select(_ => InlineGate()).ToArray();
        var next = 0;
        Func<CancellationToken, Task> child = _ => gates[next++].Task;
        long allocated = -1;
        var run = TaskGroup.RunAsync(group =>
        {
            for (var i = 0; i < 8; i++)
            {
                group.Start(child); // Warm-up: the first batch.
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < count; i++)
            {
                group.Start(child);
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            return Task.CompletedTask;
        });

        foreach (var gate in gates)
        {
            gate.SetResult();
        }

        await run;
        Assert.InRange(allocated, 1, count * 21);
    });
}
