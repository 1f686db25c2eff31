using Braid.Structured;
using Braid.Testing;
using Braid.Tests.Shared;
using Braid.Time;

namespace Braid.Tests.Structured;

/// <summary>
/// Which clock a scope measures its deadline on (design rule 17): an explicit one, else the enclosing
/// scope's or group's, else the current loop's, else the system clock; and deadlines on different
/// clocks compared by the time they have left.
/// </summary>
public sealed class CancelScopeClockTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static Task ForeverAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);

    [Fact]
    public void A_scope_without_a_clock_on_a_loop_uses_the_loops_virtual_clock() => LoopTest.Run(async clock =>
    {
        TimeProvider? used = null;
        var scope = await CancelScope.MoveOnAfterAsync(5 * Second, s =>
        {
            used = s.TimeProvider;
            if (!ReferenceEquals(used, clock))
            {
                s.Cancel("wrong clock"); // Fail fast rather than wait five real seconds.
            }

            return ForeverAsync(s.CancellationToken);
        });

        Assert.Same(clock, used);
        Assert.True(scope.CancelledCaught);
        Assert.Equal(5 * Second, clock.Elapsed);
        Assert.Equal(clock.GetUtcNow(), scope.Deadline);
    });

    [Fact]
    public void A_fail_scope_without_a_clock_on_a_loop_times_out_on_virtual_time() => LoopTest.Run(async clock =>
    {
        var error = await Assert.ThrowsAsync<DeadlineExceededException>(() => CancelScope.FailAfterAsync(
            3 * Second,
            s => ReferenceEquals(s.TimeProvider, clock) ? ForeverAsync(s.CancellationToken) : Task.CompletedTask));
        Assert.Equal(3 * Second, clock.Elapsed);
        Assert.Equal(clock.GetUtcNow(), error.Deadline);
    });

    [Fact]
    public async Task A_nested_scope_and_a_group_inherit_the_enclosing_scopes_clock()
    {
        var clock = new VirtualClock();
        TimeProvider? nested = null;
        TimeProvider? throughGroup = null;
        TimeProvider? shield = null;
        DateTimeOffset? relative = null;
        await CancelScope.MoveOnAfterAsync(
            10 * Second,
            async outer =>
            {
                await CancelScope.MoveOnAfterAsync(4 * Second, s =>
                {
                    nested = s.TimeProvider;
                    relative = s.Deadline;
                    return Task.CompletedTask;
                });
                await TaskGroup.RunAsync(group =>
                {
                    _ = group.Start(_ => CancelScope.RunAsync(
                        s =>
                        {
                            throughGroup = s.TimeProvider;
                            return Task.CompletedTask;
                        },
                        CancellationToken.None));
                    return Task.CompletedTask;
                });
                await CancelScope.ShieldAsync(s =>
                {
                    shield = s.TimeProvider;
                    return Task.CompletedTask;
                });
            },
            clock);

        Assert.Same(clock, nested);
        Assert.Same(clock, throughGroup);
        Assert.Same(clock, shield); // A shield ignores outside cancellation, not outside time.
        Assert.Equal(clock.GetUtcNow() + (4 * Second), relative); // A relative deadline is on the scope's clock.
    }

    [Fact]
    public void An_explicit_clock_wins_over_the_inherited_one() => LoopTest.Run(async clock =>
    {
        var other = new VirtualClock(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var scope = await CancelScope.MoveOnAfterAsync(Second, _ => Task.CompletedTask, other);
        Assert.Same(other, scope.TimeProvider);
        Assert.Equal(other.GetUtcNow() + Second, scope.Deadline);
    });

    [Fact]
    public async Task Off_a_loop_and_outside_any_scope_the_clock_is_the_system_clock() =>
        Assert.Same(TimeProvider.System, (await CancelScope.RunAsync(_ => Task.CompletedTask)).TimeProvider);

    [Fact]
    public async Task Nested_scopes_on_different_clocks_compare_the_time_they_have_left()
    {
        // The inner clock reads a year later than the outer one: absolute instants mean nothing across them.
        var outerClock = new VirtualClock();
        var innerClock = new VirtualClock(outerClock.GetUtcNow().AddYears(1));
        DateTimeOffset? laterInner = null;
        DateTimeOffset? soonerInner = null;
        await CancelScope.MoveOnAfterAsync(
            10 * Second,
            async _ =>
            {
                await CancelScope.MoveOnAfterAsync(20 * Second, s =>
                {
                    laterInner = s.EffectiveDeadline;
                    return Task.CompletedTask;
                }, innerClock);
                await CancelScope.MoveOnAfterAsync(2 * Second, s =>
                {
                    soonerInner = s.EffectiveDeadline;
                    return Task.CompletedTask;
                }, innerClock);
            },
            outerClock);

        Assert.Equal(innerClock.GetUtcNow() + (10 * Second), laterInner); // The outer's 10 s left, on the inner's clock.
        Assert.Equal(innerClock.GetUtcNow() + (2 * Second), soonerInner);

        // And the other way round: an outer clock ahead of the inner one.
        DateTimeOffset? behind = null;
        await CancelScope.MoveOnAfterAsync(
            3 * Second,
            _ => CancelScope.MoveOnAfterAsync(30 * Second, s =>
            {
                behind = s.EffectiveDeadline;
                return Task.CompletedTask;
            }, outerClock),
            innerClock);
        Assert.Equal(outerClock.GetUtcNow() + (3 * Second), behind);
    }

    [Fact]
    public void Nested_scopes_on_different_clocks_on_a_loop_each_expire_on_their_own_clock() => LoopTest.Run(async clock =>
    {
        // The inner scope's clock is a manual one that nobody advances: only the outer deadline, on the
        // loop's clock, can end the body, and the outer scope catches it.
        var frozen = new VirtualClock(clock.GetUtcNow().AddDays(-1));
        CancelScope? inner = null;
        var outer = await CancelScope.MoveOnAfterAsync(2 * Second, _ => CancelScope.MoveOnAfterAsync(
            Second,
            s => ForeverAsync((inner = s).CancellationToken),
            frozen));
        Assert.True(outer.CancelledCaught);
        Assert.False(inner!.CancelledCaught);
        Assert.Equal(2 * Second, clock.Elapsed);
    });

    [Fact]
    public async Task A_null_body_leaks_neither_a_timer_nor_a_registration()
    {
        var clock = new TimerCountingClock(new VirtualClock());
        using var cts = new CancellationTokenSource();
        var baseline = TokenRegistrations.Count(cts);
        await Assert.ThrowsAsync<ArgumentNullException>(() => CancelScope.MoveOnAfterAsync(5 * Second, null!, clock, cts.Token));
        await Assert.ThrowsAsync<ArgumentNullException>(() => CancelScope.MoveOnAfterAsync<int>(5 * Second, null!, clock, cts.Token));
        await Assert.ThrowsAsync<ArgumentNullException>(() => CancelScope.FailAtAsync(clock.GetUtcNow() + Second, null!, clock, cts.Token));
        await Assert.ThrowsAsync<ArgumentNullException>(() => CancelScope.FailAfterAsync<int>(Second, null!, clock, cts.Token));
        await Assert.ThrowsAsync<ArgumentNullException>(() => CancelScope.RunAsync(null!, cts.Token));
        await Assert.ThrowsAsync<ArgumentNullException>(() => CancelScope.ShieldAfterAsync(Second, null!, clock));
        Assert.Equal(0, clock.LiveTimers);
        Assert.Equal(baseline, TokenRegistrations.Count(cts));
    }

    [Fact]
    public async Task A_cancellation_callback_failure_is_surfaced_with_the_bodys_failure()
    {
        var clock = new VirtualClock();
        var error = await Assert.ThrowsAsync<AggregateException>(() => CancelScope.MoveOnAfterAsync(
            5 * Second,
            s =>
            {
                s.CancellationToken.Register(() => throw new InvalidOperationException("callback"));
                s.Cancel("stop");
                throw new FormatException("body");
            },
            clock));
        Assert.Equal(["body", "callback"], error.InnerExceptions.Select(e => e.Message));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancellation_callback_failure_is_surfaced_when_the_body_ends_inside_the_cancel(bool bodyThrows)
    {
        // The deadline fires inside Advance, on a thread with no context to post to: the body's
        // continuation, and the scope's exit after it, run inside the token's Cancel, which throws the
        // callbacks' failures only once every callback has run. The scope must wait for them.
        var error = await Task.Run(async () =>
        {
            var clock = new VirtualClock();
            var run = CancelScope.MoveOnAfterAsync(
                5 * Second,
                async s =>
                {
                    s.CancellationToken.Register(() => throw new InvalidOperationException("callback"));
                    var stop = new TaskCompletionSource();
                    s.CancellationToken.Register(stop.SetResult);
                    await stop.Task.ConfigureAwait(false);
                    if (bodyThrows)
                    {
                        throw new FormatException("body");
                    }
                },
                clock);
            clock.Advance(5 * Second);
            return await Assert.ThrowsAsync<AggregateException>(() => run);
        });
        Assert.Equal(bodyThrows ? ["body", "callback"] : ["callback"], error.InnerExceptions.Select(e => e.Message));
    }

    [Fact]
    public async Task A_cancellation_callback_failure_is_surfaced_with_the_deadline_of_a_fail_scope()
    {
        var clock = new VirtualClock();
        var error = await Assert.ThrowsAsync<AggregateException>(() => CancelScope.FailAfterAsync(
            5 * Second,
            s =>
            {
                s.CancellationToken.Register(() => throw new InvalidOperationException("callback"));
                s.Cancel("stop");
                return ForeverAsync(s.CancellationToken);
            },
            clock));
        Assert.IsType<DeadlineExceededException>(error.InnerExceptions[0]);
        Assert.Equal("callback", error.InnerExceptions[1].Message);
    }
}
