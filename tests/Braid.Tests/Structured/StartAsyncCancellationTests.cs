using System.Globalization;
using Braid.Structured;
using Braid.Testing;
using Braid.Tests.Shared;
using Xunit.Abstractions;

namespace Braid.Tests.Structured;

/// <summary>
/// <see cref="TaskGroup.StartAsync{T}"/> when the caller's token fires before the child has started
/// (design rule 10): the caller gets a cancellation, the child is cancelled, and the child's
/// resulting cancellation is not a failure of the group.
/// </summary>
public sealed class StartAsyncCancellationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static TaskCompletionSource Gate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Task ForeverAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);

    [Fact]
    public async Task Caller_cancels_and_the_child_still_calls_Started_then_ends_cancelled()
    {
        using var callerCts = new CancellationTokenSource();
        var proceed = Gate();
        Exception? startedThrew = null;
        CancellationToken childToken = default;
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(async group =>
        {
            seen = group;
            var starting = group.StartAsync<int>(
                async (started, ct) =>
                {
                    childToken = ct;
                    await proceed.Task; // Busy starting up: does not look at its token.
                    try
                    {
                        started.Started(42);
                    }
#pragma warning disable CA1031 // The test records whatever Started throws.
                    catch (Exception exception)
#pragma warning restore CA1031
                    {
                        startedThrew = exception;
                    }

                    await ForeverAsync(ct);
                },
                "server",
                callerCts.Token);
            await callerCts.CancelAsync();
            proceed.SetResult();
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);
            Assert.Equal(callerCts.Token, error.CancellationToken);
        });

        Assert.Null(startedThrew);
        Assert.True(childToken.IsCancellationRequested);
        Assert.Equal(new TaskGroupStatistics(0, 0, 0, 1, false, true), seen!.GetStatistics());
    }

    [Fact]
    public async Task Caller_cancels_and_the_child_calls_Started_then_completes_normally()
    {
        using var callerCts = new CancellationTokenSource();
        var proceed = Gate();
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(async group =>
        {
            seen = group;
            var starting = group.StartAsync<int>(
                async (started, _) =>
                {
                    await proceed.Task;
                    started.Started(42);
                    Assert.True(started.IsStarted);
                },
                cancellationToken: callerCts.Token);
            await callerCts.CancelAsync();
            proceed.SetResult();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);
        });

        Assert.Equal(new TaskGroupStatistics(0, 1, 0, 0, false, true), seen!.GetStatistics());
    }

    [Fact]
    public async Task A_caller_token_cancelled_before_StartAsync_is_called_cancels_the_caller_even_if_the_child_starts()
    {
        using var callerCts = new CancellationTokenSource();
        await callerCts.CancelAsync();
        var childSawCancelled = false;
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(async group =>
        {
            seen = group;
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => group.StartAsync<int>(
                (started, ct) =>
                {
                    childSawCancelled = ct.IsCancellationRequested;
                    started.Started(1);
                    return Task.CompletedTask;
                },
                cancellationToken: callerCts.Token));
            Assert.Equal(callerCts.Token, error.CancellationToken);
        });

        Assert.True(childSawCancelled);
        Assert.Equal(new TaskGroupStatistics(0, 1, 0, 0, false, true), seen!.GetStatistics());
    }

    [Fact]
    public async Task After_the_caller_cancelled_a_real_failure_of_the_child_still_fails_the_group()
    {
        using var callerCts = new CancellationTokenSource();
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(async group =>
        {
            var starting = group.StartAsync<int>(
                async (_, ct) =>
                {
                    try
                    {
                        await ForeverAsync(ct);
                    }
                    finally
                    {
                        await Task.Yield();
                        throw new InvalidOperationException("cleanup failed");
                    }
                },
                "server",
                callerCts.Token);
            await callerCts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);
        }));

        Assert.Equal("cleanup failed", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(["server"], error.ChildNames);
    }

    [Fact]
    public async Task Started_after_the_child_ended_is_refused()
    {
        StartSignal<int>? kept = null;
        await TaskGroup.RunAsync(async group =>
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => group.StartAsync<int>((started, _) =>
            {
                kept = started;
                return Task.CompletedTask;
            }));
        });

        var error = Assert.Throws<InvalidOperationException>(() => kept!.Started(1));
        Assert.Contains("after it had finished", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void On_a_loop_the_caller_cancelled_by_its_deadline_before_Started_does_not_fail_the_group() => LoopTest.Run(async clock =>
    {
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(async group =>
        {
            seen = group;
            var scope = await CancelScope.MoveOnAfterAsync(Second, s => group.StartAsync<int>(
                async (started, ct) =>
                {
                    await Task.Delay(2 * Second, clock, CancellationToken.None); // Slow to start, deaf to its token.
                    started.Started(1);
                    await Task.Delay(Second, clock, ct);
                },
                cancellationToken: s.CancellationToken));
            Assert.True(scope.CancelledCaught);
            Assert.Equal(Second, clock.Elapsed);
        });

        Assert.Equal(2 * Second, clock.Elapsed);
        Assert.Equal(new TaskGroupStatistics(0, 0, 0, 1, false, true), seen!.GetStatistics());
    });

    [Fact]
    public async Task Started_and_the_callers_cancellation_racing_always_agree_on_who_won()
    {
        var seed = Environment.GetEnvironmentVariable("BRAID_STRESS_SEED") is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with BRAID_STRESS_SEED={seed})");
        var random = new Random(seed);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3); // Bounded in time as well as in rounds.
        int valueWon = 0, cancelWon = 0, rounds = 0;
        for (; rounds < 2000 && DateTime.UtcNow < deadline; rounds++)
        {
            var startSpin = random.Next(1000);
            var cancelSpin = random.Next(1000);
            using var callerCts = new CancellationTokenSource();
            var arrived = 0;
            var finish = Gate();
            Exception? startedThrew = null;
            var tokenCancelledAtEnd = false;
            TaskGroup? seen = null;
            var gotValue = false;

            // On the pool, away from the test framework's context: the child and the canceller race on two threads.
            await Task.Run(() => TaskGroup.RunAsync(async group =>
            {
                seen = group;
                var starting = group.StartAsync<int>(
                    async (started, ct) =>
                    {
                        // On a thread of its own, where it races the canceller on another.
                        await OnNewThreadAsync(() =>
                        {
                            Meet(ref arrived);
                            Thread.SpinWait(startSpin);
                            try
                            {
                                started.Started(7);
                            }
#pragma warning disable CA1031 // Recorded and asserted below.
                            catch (Exception exception)
#pragma warning restore CA1031
                            {
                                startedThrew = exception;
                            }
                        });

                        await finish.Task;
                        tokenCancelledAtEnd = ct.IsCancellationRequested;
                    },
                    cancellationToken: callerCts.Token);
                var canceller = OnNewThreadAsync(() =>
                {
                    Meet(ref arrived);
                    Thread.SpinWait(cancelSpin);
                    callerCts.Cancel();
                });
                try
                {
                    Assert.Equal(7, await starting);
                    gotValue = true;
                }
                catch (OperationCanceledException error)
                {
                    Assert.Equal(callerCts.Token, error.CancellationToken);
                }

                await canceller;
                finish.SetResult();
            }));

            Assert.Null(startedThrew);
            Assert.Equal(!gotValue, tokenCancelledAtEnd); // The value means the child was never cancelled by the caller.
            Assert.Equal(new TaskGroupStatistics(0, 1, 0, 0, false, true), seen!.GetStatistics());
            _ = gotValue ? valueWon++ : cancelWon++;
        }

        output.WriteLine($"{rounds} rounds: Started won {valueWon}, the cancellation won {cancelWon}");
        Assert.True(rounds >= 10, $"only {rounds} rounds in the time allowed");
    }

    [Fact]
    public async Task StartAsync_leaves_no_registration_on_the_callers_token_whatever_the_outcome()
    {
        using var callerCts = new CancellationTokenSource();
        var baseline = TokenRegistrations.Count(callerCts);
        await TaskGroup.RunAsync(async group =>
        {
            // Started synchronously, then after an await.
            Assert.Equal(1, await group.StartAsync<int>((s, _) => Started(s, 1), cancellationToken: callerCts.Token));
            Assert.Equal(2, await group.StartAsync<int>(
                async (s, _) =>
                {
                    await Task.Yield();
                    s.Started(2);
                },
                cancellationToken: callerCts.Token));

            // Failed, and finished without Started, before starting.
            await Assert.ThrowsAsync<InvalidOperationException>(() => group.StartAsync<int>(
                async (_, _) =>
                {
                    await Task.Yield();
                    throw new InvalidOperationException("could not bind");
                },
                cancellationToken: callerCts.Token));
            await Assert.ThrowsAsync<InvalidOperationException>(() => group.StartAsync<int>((_, _) => Task.CompletedTask, cancellationToken: callerCts.Token));
        });
        Assert.Equal(baseline, TokenRegistrations.Count(callerCts));

        // Cancelled by the group before starting.
        await TaskGroup.RunAsync(async group =>
        {
            var starting = group.StartAsync<int>((_, ct) => ForeverAsync(ct), cancellationToken: callerCts.Token);
            group.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);
        });
        Assert.Equal(baseline, TokenRegistrations.Count(callerCts));

        // Cancelled by the caller before starting (the token fires, so its callbacks are gone).
        await TaskGroup.RunAsync(async group =>
        {
            var starting = group.StartAsync<int>((_, ct) => ForeverAsync(ct), cancellationToken: callerCts.Token);
            await callerCts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);
        });
        Assert.Equal(0, TokenRegistrations.Count(callerCts));
    }

    private static Task OnNewThreadAsync(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            action();
            done.SetResult();
        })
        { IsBackground = true }.Start();
        return done.Task;
    }

    // Both threads leave together (a Barrier wakes its waiter microseconds after the last arrival).
    private static void Meet(ref int arrived)
    {
        Interlocked.Increment(ref arrived);
        while (Volatile.Read(ref arrived) < 2)
        {
            Thread.SpinWait(1);
        }
    }

    private static Task Started(StartSignal<int> signal, int value)
    {
        signal.Started(value);
        return Task.CompletedTask;
    }
}
