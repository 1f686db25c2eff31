using System.Collections.Concurrent;
using System.Diagnostics;
using Braid.Instrumentation;
using Braid.Structured;

namespace Braid.Diagnostics.Tests;

/// <summary>Children as activities (opt-in): what Activity.Current is inside a child and around it.</summary>
public sealed class TaskGroupActivitiesTests
{
    [Fact]
    public async Task A_child_runs_in_its_own_activity_under_the_starters_and_a_users_span_inside_it_is_its_child()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = Listen(stopped);
        using var user = new ActivitySource("Braid.Tests.User");
        using var enabled = TaskGroupActivities.Enable();
        using var request = user.StartActivity("request")!;
        Activity? inChild = null;
        Activity? span = null;
        Activity? afterStart = null;

        await TaskGroup.RunAsync(
            group =>
            {
                group.Start(
                    async _ =>
                    {
                        inChild = Activity.Current;
                        await Task.Yield();
                        using (span = user.StartActivity("http GET"))
                        {
                        }
                    },
                    "fetch");
                afterStart = Activity.Current;
                return Task.CompletedTask;
            },
            new TaskGroupOptions { Name = "app" });

        Assert.True(TaskGroupActivities.IsActive);
        Assert.NotNull(inChild);
        Assert.Equal("fetch", inChild.DisplayName);
        Assert.Equal(TaskGroupActivities.SourceName, inChild.Source.Name);
        Assert.Same(request, inChild.Parent);
        Assert.Same(request, afterStart); // starting a child leaves the starter's Activity.Current alone
        Assert.Same(request, Activity.Current);
        Assert.Same(inChild, span!.Parent);
        Assert.Equal("app", inChild.GetTagItem("braid.task_group.name"));
        Assert.Equal(ActivityStatusCode.Ok, inChild.Status);
        Assert.Contains(inChild, stopped); // stopped when the child finished
    }

    [Fact]
    public async Task A_faulted_child_ends_its_activity_with_an_error()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = Listen(stopped);
        using var enabled = TaskGroupActivities.Enable();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var group = TaskGroup.RunAsync(g =>
        {
            g.Start(
                async _ =>
                {
                    await release.Task;
                    throw new InvalidOperationException("boom");
                },
                "fails");
            return Task.CompletedTask;
        });
        release.SetResult();
        await Assert.ThrowsAsync<TaskGroupException>(() => group);

        var activity = Assert.Single(stopped, a => a.DisplayName == "fails");
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Equal("boom", activity.StatusDescription);
    }

    [Fact]
    public async Task Without_Enable_a_child_runs_in_its_starters_activity()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = Listen(stopped);
        using var user = new ActivitySource("Braid.Tests.User");
        using var request = user.StartActivity("request")!;
        Activity? inChild = null;

        await TaskGroup.RunAsync(group =>
        {
            group.Start(_ =>
            {
                inChild = Activity.Current;
                return Task.CompletedTask;
            });
            return Task.CompletedTask;
        });

        Assert.False(TaskGroupActivities.IsActive);
        Assert.Same(request, inChild);
        Assert.DoesNotContain(stopped, a => a.Source.Name == TaskGroupActivities.SourceName);
    }

    private static ActivityListener Listen(ConcurrentQueue<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is TaskGroupActivities.SourceName or "Braid.Tests.User",
            Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
