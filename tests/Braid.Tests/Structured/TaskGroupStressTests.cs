using System.Collections.Concurrent;
using System.Globalization;
using Braid.Structured;
using Xunit.Abstractions;

namespace Braid.Tests.Structured;

/// <summary>
/// Bounded randomized stress: thousands of children (and nested groups) that complete, fail, wait for
/// cancellation or fail in their cleanup, under random cancellation. Invariants: no child outlives its
/// group, every child is accounted exactly once (named children by a node each, unnamed ones in
/// shared batches), and every failure thrown reaches the caller exactly once. Replay a failure with
/// <c>BRAID_STRESS_SEED=&lt;seed&gt;</c>.
/// </summary>
public sealed class TaskGroupStressTests(ITestOutputHelper output)
{
    private enum Kind
    {
        CompleteSync,
        CompleteAfterYield,
        FailSync,
        FailAfterYield,
        WaitForCancel,
        FailInCleanup,
        NestedGroup,
    }

    [Fact]
    public async Task Thousands_of_children_with_random_failures_and_cancellations_lose_nothing()
    {
        var seed = Environment.GetEnvironmentVariable("BRAID_STRESS_SEED") is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with BRAID_STRESS_SEED={seed})");
        var random = new Random(seed);
        var children = 0;
        for (var round = 0; round < 25; round++)
        {
            children += await RunRoundAsync(new Random(random.Next()), round);
        }

        output.WriteLine($"{children} children in 25 rounds");
        Assert.True(children > 2000, $"only {children} children");
    }

    private static async Task<int> RunRoundAsync(Random random, int round)
    {
        var plan = Enumerable.Range(0, random.Next(60, 200)).Select(_ => (Kind)random.Next(7)).ToArray();
        var named = plan.Select(_ => random.Next(2) == 0).ToArray(); // Unnamed children are tracked in shared batches.
        var nested = plan.Select(_ => Enumerable.Range(0, random.Next(1, 8)).Select(_ => (Kind)random.Next(6)).ToArray()).ToArray();
        var supervisor = random.Next(2) == 0;
        var cancelAt = random.Next(plan.Length + 1);
        var cancelOutside = random.Next(2) == 0;
        var thrown = new ConcurrentDictionary<Exception, byte>(ReferenceEqualityComparer.Instance);
        var alive = 0;
        var started = 0;
        using var outer = new CancellationTokenSource();

        async Task ChildAsync(Kind kind, Kind[] inner, CancellationToken ct)
        {
            Interlocked.Increment(ref alive);
            Interlocked.Increment(ref started);
            try
            {
                switch (kind)
                {
                    case Kind.CompleteSync:
                        return;
                    case Kind.CompleteAfterYield:
                        await Task.Yield();
                        return;
                    case Kind.FailSync:
                        throw Remember(new InvalidOperationException("sync failure"));
                    case Kind.FailAfterYield:
                        await Task.Yield();
                        throw Remember(new InvalidOperationException("async failure"));
                    case Kind.WaitForCancel:
                        await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                        return;
                    case Kind.FailInCleanup:
                        try
                        {
                            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                        }
                        catch (OperationCanceledException)
                        {
                            await Task.Yield();
                            throw Remember(new FormatException("cleanup failure"));
                        }

                        return;
                    default:
                        // A nested group that always ends by cancelling itself, so its waiters finish.
                        await TaskGroup.RunAsync(
                            async group =>
                            {
                                foreach (var k in inner)
                                {
                                    group.Start(c => ChildAsync(k, [], c));
                                }

                                await Task.Yield();
                                group.Cancel("nested done");
                            },
                            ct);
                        return;
                }
            }
            finally
            {
                Interlocked.Decrement(ref alive);
            }
        }

        Exception Remember(Exception exception)
        {
            thrown.TryAdd(exception, 0);
            return exception;
        }

        Exception? caught = null;
        TaskGroup? top = null;
        try
        {
            await TaskGroup.RunAsync(
                async group =>
                {
                    top = group;
                    for (var i = 0; i < plan.Length; i++)
                    {
                        if (i == cancelAt)
                        {
                            Cancel(group);
                        }

                        var kind = plan[i];
                        var inner = nested[i];
                        group.Start(ct => ChildAsync(kind, inner, ct), named[i] ? kind.ToString() : null);
                        if (i % 17 == 0)
                        {
                            await Task.Yield();
                        }
                    }

                    Cancel(group); // Always end by cancelling, so waiting children finish.
                },
                new TaskGroupOptions { Supervisor = supervisor, Name = $"round {round}" },
                outer.Token);
        }
        catch (Exception exception)
        {
            caught = exception;
        }

        void Cancel(TaskGroup group)
        {
            if (cancelOutside)
            {
                outer.Cancel();
            }
            else
            {
                group.Cancel("round over");
            }
        }

        Assert.Equal(0, Volatile.Read(ref alive)); // No child outlives its group.
        var statistics = top!.GetStatistics();
        Assert.True(statistics.IsFinished);
        Assert.Equal(0, statistics.Running);
        Assert.Equal(plan.Length, statistics.Started); // Each child accounted exactly once.
        if (!thrown.IsEmpty)
        {
            var error = Assert.IsType<TaskGroupException>(caught);
            var leaves = Leaves(error).ToList();
            Assert.Equal(leaves.Count, leaves.Distinct(ReferenceEqualityComparer.Instance).Count()); // Each failure once.
            Assert.Equal(
                thrown.Keys.OrderBy(RuntimeHelpersHash),
                leaves.OrderBy(RuntimeHelpersHash),
                ReferenceEqualityComparer.Instance);
        }
        else if (cancelOutside)
        {
            Assert.IsAssignableFrom<OperationCanceledException>(caught);
        }
        else
        {
            Assert.Null(caught);
        }

        return Volatile.Read(ref started);
    }

    private static int RuntimeHelpersHash(Exception e) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(e);

    private static IEnumerable<Exception> Leaves(Exception exception) =>
        exception is TaskGroupException group ? group.InnerExceptions.SelectMany(Leaves) : [exception];
}
