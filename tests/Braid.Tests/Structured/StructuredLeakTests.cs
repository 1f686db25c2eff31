using Braid.Loop;
using Braid.Structured;
using Braid.Testing;
using Braid.Tests.Shared;
using Braid.Time;

namespace Braid.Tests.Structured;

/// <summary>
/// Every <c>Braid.Structured</c> API that takes a token leaves the caller's token source as it found it,
/// and no timer behind, however it ends: completed, failed, cancelled by itself, cancelled from an
/// enclosing scope, or cancelled by the caller's token (design rule 17). Off a loop and on one.
/// </summary>
public sealed class StructuredLeakTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    /// <summary>Runs the work under the API; the work gets the token and a way to cancel the scope or group itself.</summary>
    private delegate Task Api(Func<CancellationToken, Action, Task> work, TimeProvider clock, CancellationToken cancellationToken);

    public enum Outcome
    {
        Completed,
        Failed,
        CancelledItself,
        CancelledFromAnEnclosingScope,
        CancelledByTheCallersToken,
    }

    private static readonly Dictionary<string, Api> Apis = new()
    {
        ["TaskGroup.RunAsync"] = (work, _, ct) => TaskGroup.RunAsync(g => work(g.CancellationToken, () => g.Cancel()), ct),
        ["TaskGroup.RunAsync<T>"] = (work, _, ct) => TaskGroup.RunAsync(
            async g =>
            {
                await work(g.CancellationToken, () => g.Cancel());
                return 1;
            },
            ct),
        ["TaskGroup.Start (child)"] = (work, _, ct) => TaskGroup.RunAsync(
            g =>
            {
                g.Start(token => work(token, () => g.Cancel()));
                return Task.CompletedTask;
            },
            ct),
        ["TaskGroup.StartAsync (after Started)"] = (work, _, ct) => TaskGroup.RunAsync(
            async g => await g.StartAsync<int>(
                async (started, token) =>
                {
                    started.Started(1);
                    await work(token, () => g.Cancel());
                },
                cancellationToken: ct),
            ct),
        ["TaskGroup.StartAsync (before Started)"] = (work, _, ct) => TaskGroup.RunAsync(
            async g => await g.StartAsync<int>(
                async (started, token) =>
                {
                    await work(token, () => g.Cancel());
                    started.Started(1);
                },
                cancellationToken: ct),
            ct),
        ["CancelScope.RunAsync"] = (work, _, ct) => CancelScope.RunAsync(s => work(s.CancellationToken, () => s.Cancel()), ct),
        ["CancelScope.RunAsync<T>"] = (work, _, ct) => CancelScope.RunAsync(s => Value(work(s.CancellationToken, () => s.Cancel())), ct),
        ["CancelScope.MoveOnAfterAsync"] = (work, clock, ct) => CancelScope.MoveOnAfterAsync(10 * Second, s => work(s.CancellationToken, () => s.Cancel()), clock, ct),
        ["CancelScope.MoveOnAfterAsync<T>"] = (work, clock, ct) => CancelScope.MoveOnAfterAsync(10 * Second, s => Value(work(s.CancellationToken, () => s.Cancel())), clock, ct),
        ["CancelScope.MoveOnAtAsync"] = (work, clock, ct) => CancelScope.MoveOnAtAsync(clock.GetUtcNow() + (10 * Second), s => work(s.CancellationToken, () => s.Cancel()), clock, ct),
        ["CancelScope.MoveOnAtAsync<T>"] = (work, clock, ct) => CancelScope.MoveOnAtAsync(clock.GetUtcNow() + (10 * Second), s => Value(work(s.CancellationToken, () => s.Cancel())), clock, ct),
        ["CancelScope.FailAfterAsync"] = (work, clock, ct) => CancelScope.FailAfterAsync(10 * Second, s => work(s.CancellationToken, () => s.Cancel()), clock, ct),
        ["CancelScope.FailAfterAsync<T>"] = (work, clock, ct) => CancelScope.FailAfterAsync(10 * Second, s => Value(work(s.CancellationToken, () => s.Cancel())), clock, ct),
        ["CancelScope.FailAtAsync"] = (work, clock, ct) => CancelScope.FailAtAsync(clock.GetUtcNow() + (10 * Second), s => work(s.CancellationToken, () => s.Cancel()), clock, ct),
        ["CancelScope.FailAtAsync<T>"] = (work, clock, ct) => CancelScope.FailAtAsync(clock.GetUtcNow() + (10 * Second), s => Value(work(s.CancellationToken, () => s.Cancel())), clock, ct),
    };

    public static TheoryData<string, Outcome, bool> Cases()
    {
        var data = new TheoryData<string, Outcome, bool>();
        foreach (var api in Apis.Keys)
        {
            foreach (var outcome in Enum.GetValues<Outcome>())
            {
                data.Add(api, outcome, false);
                data.Add(api, outcome, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Leaves_the_callers_token_and_the_clock_as_it_found_them(string api, Outcome outcome, bool onLoop)
    {
        if (onLoop)
        {
            await Task.Run(() => LoopTest.Run(clock => CheckAsync(Apis[api], outcome, clock)));
        }
        else
        {
            await CheckAsync(Apis[api], outcome, new VirtualClock());
        }
    }

    [Fact]
    public void A_scope_that_reaches_its_deadline_on_a_loop_leaves_nothing_behind() => LoopTest.Run(async clock =>
    {
        var timers = new TimerCountingClock(clock);
        using var callerCts = new CancellationTokenSource();
        var baseline = TokenRegistrations.Count(callerCts);
        await CancelScope.MoveOnAfterAsync(Second, s => Task.Delay(Timeout.InfiniteTimeSpan, clock, s.CancellationToken), timers, callerCts.Token);
        await Assert.ThrowsAsync<DeadlineExceededException>(() => CancelScope.FailAfterAsync(Second, s => Task.Delay(Timeout.InfiniteTimeSpan, clock, s.CancellationToken), timers, callerCts.Token));
        Assert.Equal(2 * Second, clock.Elapsed);
        Assert.Equal(baseline, TokenRegistrations.Count(callerCts));
        Assert.Equal(0, timers.LiveTimers);
    });

    private static async Task CheckAsync(Api api, Outcome outcome, VirtualClock virtualClock)
    {
        Assert.Equal(AsyncLoop.Current is not null, LoopSynchronizationContext.IsCurrent);
        var clock = new TimerCountingClock(virtualClock);
        using var callerCts = new CancellationTokenSource();
        var baseline = TokenRegistrations.Count(callerCts);
        Task Work(CancellationToken ct, Action cancelItself)
        {
            switch (outcome)
            {
                case Outcome.Completed:
                    return YieldAsync();
                case Outcome.Failed:
                    return FailAsync();
                case Outcome.CancelledItself:
                    cancelItself();
                    return ForeverAsync(ct);
                default:
                    return ForeverAsync(ct);
            }
        }

        var run = outcome == Outcome.CancelledFromAnEnclosingScope
            ? CancelScope.RunAsync(outer =>
            {
                var inner = api(Work, clock, callerCts.Token);
                outer.Cancel("from outside");
                return inner;
            })
            : api(Work, clock, callerCts.Token);
        if (outcome == Outcome.CancelledByTheCallersToken)
        {
            await callerCts.CancelAsync();
        }

        try
        {
            await run;
        }
#pragma warning disable CA1031 // Any outcome will do: what is checked is what it left behind.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        Assert.Equal(outcome == Outcome.CancelledByTheCallersToken ? 0 : baseline, TokenRegistrations.Count(callerCts));
        Assert.Equal(0, clock.LiveTimers);
    }

    private static async Task YieldAsync() => await Task.Yield();

    private static async Task FailAsync()
    {
        await Task.Yield();
        throw new FormatException("failed");
    }

    private static Task ForeverAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);

    private static async Task<int> Value(Task work)
    {
        await work;
        return 1;
    }
}
