using Braid.Loop;
using Braid.Time;

namespace Braid.Testing.Tests;

public sealed class LoopTestTests
{
    // The book's test of concurrent tasks: the total time is the longest task's, not the sum; the
    // HTTP call is faked by a wait on the virtual clock.
    [Fact]
    public void Concurrent_fetches_take_as_long_as_the_slowest() => LoopTest.Run(async clock =>
    {
        var pages = await Task.WhenAll(FetchAsync(clock, "a", 1), FetchAsync(clock, "b", 3), FetchAsync(clock, "c", 2));
        Assert.Equal(["a", "b", "c"], pages);
        Assert.Equal(TimeSpan.FromSeconds(3), clock.Elapsed);
    });

    [Fact]
    public void Run_returns_the_result_and_the_clock_is_the_loops()
    {
        var (same, elapsed) = LoopTest.Run(async clock =>
        {
            await Task.Delay(TimeSpan.FromHours(1), clock);
            return (ReferenceEquals(clock, AsyncLoop.Current!.TimeProvider), clock.Elapsed);
        });
        Assert.True(same);
        Assert.Equal(TimeSpan.FromHours(1), elapsed);
    }

    [Fact]
    public void The_bodys_exception_is_rethrown()
    {
        var ex = Assert.Throws<TimeoutException>(() => LoopTest.Run(async clock =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1), clock);
            throw new TimeoutException("late");
        }));
        Assert.Equal("late", ex.Message);
    }

    [Fact]
    public void WaitAllTasksBlocked_lets_a_test_observe_a_blocked_waiter() => LoopTest.Run(async clock =>
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = 0;
        var worker = WorkAsync();
        await LoopTest.WaitAllTasksBlockedAsync();
        Assert.Equal(1, progress); // the worker ran up to its wait and is blocked there
        Assert.Equal(TimeSpan.Zero, clock.Elapsed);
        gate.SetResult();
        await worker;
        Assert.Equal(2, progress);

        async Task WorkAsync()
        {
            await Task.Yield();
            progress = 1;
            await gate.Task;
            progress = 2;
        }
    });

    [Fact]
    public async Task WaitAllTasksBlocked_outside_a_loop_throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => LoopTest.WaitAllTasksBlockedAsync());
    }

    [Fact]
    public void A_timeout_scope_on_the_virtual_clock_fires_without_real_waiting() => LoopTest.Run(async clock =>
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30), clock);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Delay(TimeSpan.FromMinutes(5), clock, cts.Token));
        Assert.Equal(TimeSpan.FromSeconds(30), clock.Elapsed);
    });

    private static async Task<string> FetchAsync(VirtualClock clock, string page, int seconds)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds), clock);
        return page;
    }
}
