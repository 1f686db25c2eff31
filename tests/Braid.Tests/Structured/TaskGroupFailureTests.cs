using Braid.Structured;

namespace Braid.Tests.Structured;

/// <summary>Every failure is kept, once, in the order it happened (design rules 4 and 5), however many there are.</summary>
public sealed class TaskGroupFailureTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Twenty_thousand_failures_are_all_reported_in_order(bool supervisor)
    {
        // Recording a failure is O(1): a linear scan for duplicates made this quadratic.
        const int count = 20_000;
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(
            group =>
            {
                for (var i = 0; i < count; i++)
                {
                    var message = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    group.Start(_ => throw new InvalidOperationException(message), i % 2 == 0 ? "even" : null);
                }

                return Task.CompletedTask;
            },
            new TaskGroupOptions { Supervisor = supervisor }));

        Assert.Equal(count, error.InnerExceptions.Count);
        Assert.Equal(count, error.ChildNames.Count);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), error.InnerExceptions[i].Message);
            Assert.Equal(i % 2 == 0 ? "even" : null, error.ChildNames[i]);
        }
    }

    [Fact]
    public async Task The_same_exception_object_from_many_children_is_reported_once_at_its_first_place()
    {
        var shared = new InvalidOperationException("shared");
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(
            group =>
            {
                group.Start(_ => throw new FormatException("first"), "a");
                group.Start(_ => Task.FromException(shared), "b");
                group.Start(_ => throw new FormatException("third"), "c");
                group.Start(_ => Task.FromException(shared), "d");
                return Task.FromException(shared);
            },
            new TaskGroupOptions { Supervisor = true }));

        Assert.Equal(["first", "shared", "third"], error.InnerExceptions.Select(e => e.Message));
        Assert.Equal(["a", "b", "c"], error.ChildNames);
    }

    [Fact]
    public async Task A_cancellation_callback_that_throws_after_the_last_child_ended_inside_the_cancel_is_reported()
    {
        // On a thread with no context to post to, the child ends (and is accounted) inside Cancel, which
        // throws the callbacks' failures only once every callback has run: the group must still be open then.
        var error = await Task.Run(async () =>
        {
            TaskGroup? seen = null;
            var run = TaskGroup.RunAsync(group =>
            {
                seen = group;
                group.CancellationToken.Register(() => throw new InvalidOperationException("callback"));
                var gate = new TaskCompletionSource();
                group.CancellationToken.Register(gate.SetResult);
                group.Start(_ => gate.Task, "child");
                return Task.CompletedTask;
            });

            seen!.Cancel("stop");
            return await Assert.ThrowsAsync<TaskGroupException>(() => run);
        });
        Assert.Equal("callback", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(["cancellation callback"], error.ChildNames);
    }
}
