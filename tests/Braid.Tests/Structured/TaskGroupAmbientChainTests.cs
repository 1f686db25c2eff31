using Braid.Structured;
using Braid.Testing;

namespace Braid.Tests.Structured;

/// <summary>
/// A started child runs in its group's ambient chain (design rule 13), not its caller's: the group's
/// cancellation reaches scopes and groups nested inside the child, and a scope of the caller that
/// expires does not.
/// </summary>
public sealed class TaskGroupAmbientChainTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static readonly Func<CancellationToken, Task> CompletedChild = static _ => Task.CompletedTask;

    private static TaskCompletionSource Gate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Task ForeverAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);

    [Fact]
    public async Task Cancelling_a_group_reaches_a_scope_and_a_group_nested_in_a_child_started_from_outside_its_chain()
    {
        var release = Gate();
        TaskGroup? group = null;
        var run = TaskGroup.RunAsync(async g =>
        {
            group = g;
            await release.Task;
        });

        // Started from the test, whose ambient chain is empty: nobody passes the group's token down.
        CancelScope? nestedScope = null;
        TaskGroup? nestedGroup = null;
        _ = group!.Start(_ => CancelScope.RunAsync(
            s =>
            {
                nestedScope = s;
                return ForeverAsync(s.CancellationToken);
            },
            CancellationToken.None));
        group.Start(_ => TaskGroup.RunAsync(g => ForeverAsync((nestedGroup = g).CancellationToken), CancellationToken.None));
        var startAsyncScope = await group.StartAsync<CancelScope?>((started, _) => CancelScope.RunAsync(
            s =>
            {
                started.Started(s);
                return ForeverAsync(s.CancellationToken);
            },
            CancellationToken.None));

        group.Cancel("stop");
        bool[] reached = [nestedScope!.CancellationToken.IsCancellationRequested, nestedGroup!.CancellationToken.IsCancellationRequested,
            startAsyncScope!.CancellationToken.IsCancellationRequested];

        // Without the rule the nested work would wait forever: end it so that a failure cannot hang.
        nestedScope.Cancel();
        nestedGroup.Cancel();
        startAsyncScope.Cancel();
        release.SetResult();
        await run;
        Assert.Equal([true, true, true], reached);
        Assert.Equal(new TaskGroupStatistics(0, 0, 0, 3, true, true), group.GetStatistics());
    }

    [Fact]
    public void Cancelling_a_group_on_a_loop_reaches_a_scope_nested_in_a_child_started_inside_a_shield() => LoopTest.Run(async clock =>
    {
        CancelScope? nested = null;
        await TaskGroup.RunAsync(async group =>
        {
            // The shield links to nothing outside it; a child it starts still belongs to the group.
            await CancelScope.ShieldAsync(shield =>
            {
                _ = group.Start(_ => CancelScope.RunAsync(s => Task.Delay(TimeSpan.FromHours(1), clock, (nested = s).CancellationToken), CancellationToken.None));
                return Task.CompletedTask;
            });
            await Task.Delay(Second, clock);
            group.Cancel("stop");
        });

        Assert.Equal(Second, clock.Elapsed); // Not an hour: the group's cancellation reached the nested scope.
        Assert.False(nested!.CancelledCaught); // It was the group's cancellation, absorbed by the group.
    });

    [Fact]
    public void A_caller_scope_that_expires_does_not_cancel_a_child_of_an_outer_group() => LoopTest.Run(async clock =>
    {
        var finished = false;
        CancelScope? inChild = null;
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(async group =>
        {
            seen = group;
            var caller = await CancelScope.MoveOnAfterAsync(Second, s =>
            {
                group.Start(
                    async _ =>
                    {
                        await CancelScope.RunAsync(inner => Task.Delay(3 * Second, clock, (inChild = inner).CancellationToken), CancellationToken.None);
                        finished = true;
                    },
                    "worker");
                return ForeverAsync(s.CancellationToken);
            });
            Assert.True(caller.CancelledCaught);
            Assert.Equal(Second, clock.Elapsed);
        });

        Assert.True(finished);
        Assert.Equal(3 * Second, clock.Elapsed);
        Assert.False(inChild!.IsCancellationRequested);
        Assert.Equal(new TaskGroupStatistics(0, 1, 0, 0, false, true), seen!.GetStatistics());
    });

    [Fact]
    public async Task A_caller_scope_cancelled_off_a_loop_does_not_cancel_a_child_of_an_outer_group()
    {
        var release = Gate();
        CancellationToken inChild = default;
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(async group =>
        {
            seen = group;
            var caller = await CancelScope.RunAsync(s =>
            {
                _ = group.Start(_ => CancelScope.RunAsync(
                    async inner =>
                    {
                        inChild = inner.CancellationToken;
                        await release.Task.WaitAsync(inner.CancellationToken);
                    },
                    CancellationToken.None));
                s.Cancel("the caller's scope ends");
                return ForeverAsync(s.CancellationToken);
            });
            Assert.True(caller.CancelledCaught);
            Assert.False(inChild.IsCancellationRequested);
            release.SetResult();
        });

        Assert.Equal(new TaskGroupStatistics(0, 1, 0, 0, false, true), seen!.GetStatistics());
    }

    [Fact]
    public async Task A_child_started_from_a_nested_scope_sees_the_groups_deadline_not_the_scopes()
    {
        var clock = new Braid.Time.VirtualClock();
        DateTimeOffset? inChild = DateTimeOffset.MinValue;
        await TaskGroup.RunAsync(async group =>
        {
            await CancelScope.MoveOnAfterAsync(
                Second,
                caller =>
                {
                    _ = group.Start(_ => CancelScope.RunAsync(
                        s =>
                        {
                            inChild = s.EffectiveDeadline;
                            return Task.CompletedTask;
                        },
                        CancellationToken.None));
                    return Task.CompletedTask;
                },
                clock);
        });

        Assert.Null(inChild); // The group has no deadline; the caller's scope is not the child's.
    }

    [Fact]
    public async Task A_synchronous_child_started_from_the_body_allocates_nothing()
    {
        long allocated = -1;
        await TaskGroup.RunAsync(group =>
        {
            for (var i = 0; i < 16; i++)
            {
                group.Start(CompletedChild); // Warm-up.
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                group.Start(CompletedChild);
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            return Task.CompletedTask;
        });

        Assert.Equal(0, allocated);
    }
}
