using Braid.Structured;
using Braid.Testing;
using Braid.Time;

namespace Braid.Tests.Structured;

public sealed class CancelScopeTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static TaskCompletionSource Gate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Task ForeverAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);

    [Fact]
    public void MoveOnAfter_abandons_the_body_quietly_at_the_deadline_and_says_so() => LoopTest.Run(async clock =>
    {
        var timers = new TimerCountingClock(clock);
        var scope = await CancelScope.MoveOnAfterAsync(5 * Second, s => ForeverAsync(s.CancellationToken), timers);
        Assert.Equal(5 * Second, clock.Elapsed); // Not a tick before the deadline, not a tick after.
        Assert.True(scope.CancelledCaught);
        Assert.True(scope.IsCancellationRequested);
        Assert.Contains("deadline", scope.CancelReason, StringComparison.Ordinal);
        Assert.Equal(0, timers.LiveTimers);
    });

    [Fact]
    public async Task A_body_that_finishes_in_time_catches_nothing_and_leaves_no_timer()
    {
        var clock = new TimerCountingClock(new VirtualClock());
        var result = await CancelScope.MoveOnAfterAsync(5 * Second, _ => Task.FromResult(7), clock);
        Assert.True(result.Completed);
        Assert.False(result.CancelledCaught);
        Assert.Equal(7, result.Value);
        Assert.Equal(0, clock.LiveTimers);
    }

    [Fact]
    public void A_result_scope_that_caught_a_cancellation_has_no_value() => LoopTest.Run(async clock =>
    {
        var result = await CancelScope.MoveOnAfterAsync(Second, async s =>
        {
            await ForeverAsync(s.CancellationToken);
            return 1;
        }, clock);
        Assert.Equal(Second, clock.Elapsed);
        Assert.False(result.Completed);
        Assert.True(result.CancelledCaught);
        Assert.Equal(-1, result.GetValueOrDefault(-1));
        Assert.Throws<InvalidOperationException>(() => result.Value);
    });

    [Fact]
    public void FailAfter_throws_a_timeout_at_the_deadline() => LoopTest.Run(async clock =>
    {
        CancelScope? seen = null;
        var error = await Assert.ThrowsAsync<DeadlineExceededException>(() => CancelScope.FailAfterAsync(2 * Second, s =>
        {
            seen = s;
            return ForeverAsync(s.CancellationToken);
        }, clock));
        Assert.Equal(2 * Second, clock.Elapsed);
        Assert.IsAssignableFrom<TimeoutException>(error);
        Assert.Equal(seen!.Id, error.ScopeId);
        Assert.Equal(seen.Deadline, error.Deadline);
        Assert.True(seen.CancelledCaught);
    });

    [Fact]
    public async Task FailAt_returns_the_result_when_in_time()
    {
        var clock = new VirtualClock();
        Assert.Equal("ok", await CancelScope.FailAtAsync(clock.GetUtcNow() + Second, _ => Task.FromResult("ok"), clock));
    }

    [Fact]
    public async Task MoveOnAt_with_a_deadline_already_past_cancels_before_the_body_starts()
    {
        var clock = new VirtualClock();
        var sawCancelled = false;
        var scope = await CancelScope.MoveOnAtAsync(clock.GetUtcNow() - Second, s =>
        {
            sawCancelled = s.CancellationToken.IsCancellationRequested;
            return ForeverAsync(s.CancellationToken);
        }, clock);
        Assert.True(sawCancelled);
        Assert.True(scope.CancelledCaught);
    }

    [Fact]
    public async Task Cancel_carries_its_reason_into_the_fail_exception()
    {
        var error = await Assert.ThrowsAsync<DeadlineExceededException>(() => CancelScope.FailAfterAsync(
            TimeSpan.FromHours(1),
            s =>
            {
                s.Cancel("user pressed stop");
                return ForeverAsync(s.CancellationToken);
            },
            new VirtualClock()));
        Assert.Contains("user pressed stop", error.Message, StringComparison.Ordinal);
        Assert.Equal("user pressed stop", error.Reason);
    }

    [Fact]
    public async Task A_body_that_ignores_its_cancellation_completes_and_catches_nothing()
    {
        var scope = await CancelScope.RunAsync(s =>
        {
            s.Cancel("ignored");
            return Task.CompletedTask;
        });
        Assert.True(scope.IsCancellationRequested);
        Assert.False(scope.CancelledCaught);
    }

    [Fact]
    public async Task Nested_deadlines_the_inner_sooner_one_is_caught_by_the_inner_scope()
    {
        // Advanced by hand, off any loop, with a manual clock; the autojumping versions are below.
        var clock = new VirtualClock();
        CancelScope? inner = null;
        var outerRun = CancelScope.MoveOnAfterAsync(10 * Second, async outer =>
        {
            inner = await CancelScope.MoveOnAfterAsync(5 * Second, s => ForeverAsync(s.CancellationToken), clock);
        }, clock);
        clock.Advance(5 * Second);
        var outerScope = await outerRun;
        Assert.True(inner!.CancelledCaught);
        Assert.False(outerScope.CancelledCaught);
        Assert.False(outerScope.IsCancellationRequested);
    }

    [Fact]
    public async Task Nested_deadlines_the_outer_sooner_one_passes_through_the_inner_scope()
    {
        var clock = new VirtualClock(); // By hand, off any loop, as above.
        CancelScope? inner = null;
        var innerFinished = false;
        var outerRun = CancelScope.MoveOnAfterAsync(3 * Second, async _ =>
        {
            await CancelScope.MoveOnAfterAsync(5 * Second, s =>
            {
                inner = s;
                return ForeverAsync(s.CancellationToken);
            }, clock);
            innerFinished = true; // Never reached: the cancellation belongs to the outer scope.
        }, clock);
        clock.Advance(3 * Second);
        var outerScope = await outerRun;
        Assert.True(outerScope.CancelledCaught);
        Assert.False(inner!.CancelledCaught);
        Assert.False(inner.IsCancellationRequested);
        Assert.False(innerFinished);
    }

    [Fact]
    public void Nested_deadlines_on_an_autojumping_loop_the_inner_sooner_one_is_caught_at_its_deadline() => LoopTest.Run(async clock =>
    {
        // Regression: the scopes once resumed with ConfigureAwait(false), which on a loop hopped to the
        // thread pool; the loop could not see that work and jumped on to the outer deadline (10 s).
        CancelScope? inner = null;
        var outer = await CancelScope.MoveOnAfterAsync(10 * Second, async _ =>
        {
            inner = await CancelScope.MoveOnAfterAsync(5 * Second, s => ForeverAsync(s.CancellationToken), clock);
        }, clock);
        Assert.True(inner!.CancelledCaught);
        Assert.False(outer.CancelledCaught);
        Assert.Equal(5 * Second, clock.Elapsed);
    });

    [Fact]
    public void Nested_deadlines_on_an_autojumping_loop_the_outer_sooner_one_is_caught_at_its_deadline() => LoopTest.Run(async clock =>
    {
        CancelScope? inner = null;
        var outer = await CancelScope.MoveOnAfterAsync(3 * Second, async _ =>
        {
            await CancelScope.MoveOnAfterAsync(5 * Second, s =>
            {
                inner = s;
                return ForeverAsync(s.CancellationToken);
            }, clock);
        }, clock);
        Assert.True(outer.CancelledCaught);
        Assert.False(inner!.CancelledCaught);
        Assert.Equal(3 * Second, clock.Elapsed);
    });

    [Fact]
    public void Gather_on_an_autojumping_loop_returns_before_a_later_deadline_fires() => LoopTest.Run(async clock =>
    {
        // Regression (rule 104): Gather's own awaits once hopped to the thread pool on a loop, so the
        // clock jumped to the scope's 5 s deadline before the body saw Gather's results at 3 s.
        var seenAt = TimeSpan.Zero;
        var scope = await CancelScope.MoveOnAfterAsync(5 * Second, async s =>
        {
            var results = await Concurrent.GatherAsync(
                new[] { 3, 1, 2 }.Select(n => (Func<CancellationToken, Task<int>>)(async ct =>
                {
                    await clock.DelayAsync(n * Second, ct);
                    return n;
                })),
                s.CancellationToken);
            Assert.Equal([3, 1, 2], results);
            seenAt = clock.Elapsed;
        }, clock);
        Assert.False(scope.CancelledCaught);
        Assert.Equal(3 * Second, seenAt);
    });

    [Fact]
    public void A_group_on_an_autojumping_loop_finishes_at_its_longest_child() => LoopTest.Run(async clock =>
    {
        // Children on three timers: the group's bookkeeping stays on the loop, so time moves exactly
        // to each timer in turn and the group ends at the longest child (the book's testing scenario).
        await TaskGroup.RunAsync(group =>
        {
            foreach (var seconds in new[] { 3, 1, 2 })
            {
                group.Start(ct => clock.DelayAsync(seconds * Second, ct).AsTask());
            }

            return Task.CompletedTask;
        });
        Assert.Equal(3 * Second, clock.Elapsed);
    });

    [Fact]
    public void Nested_deadlines_at_the_same_instant_are_caught_by_the_outermost() => LoopTest.Run(async clock =>
    {
        CancelScope? inner = null;
        var outerScope = await CancelScope.MoveOnAfterAsync(5 * Second, async _ =>
        {
            await CancelScope.MoveOnAfterAsync(5 * Second, s =>
            {
                inner = s;
                return ForeverAsync(s.CancellationToken);
            }, clock);
        }, clock);
        Assert.Equal(5 * Second, clock.Elapsed);
        Assert.True(outerScope.CancelledCaught);
        Assert.False(inner!.CancelledCaught);
    });

    [Fact]
    public void Nesting_works_through_the_ambient_chain_without_passing_tokens() => LoopTest.Run(async clock =>
    {
        CancelScope? inner = null;
        var outerRun = CancelScope.MoveOnAfterAsync(Second, async _ =>
        {
            // No deadline and no token: the inner scope still sees the outer deadline.
            await CancelScope.RunAsync(s =>
            {
                inner = s;
                return ForeverAsync(s.CancellationToken);
            });
        }, clock);
        Assert.Equal(clock.GetUtcNow() + Second, inner!.EffectiveDeadline);
        Assert.Null(inner.Deadline);
        Assert.True((await outerRun).CancelledCaught);
        Assert.Equal(Second, clock.Elapsed);
        Assert.False(inner.CancelledCaught);
    });

    [Fact]
    public async Task The_effective_deadline_is_the_sooner_of_the_own_and_the_inherited()
    {
        var clock = new VirtualClock();
        var start = clock.GetUtcNow();
        DateTimeOffset? innerLater = null;
        DateTimeOffset? innerSooner = null;
        await CancelScope.MoveOnAfterAsync(10 * Second, async _ =>
        {
            await CancelScope.MoveOnAfterAsync(20 * Second, s =>
            {
                innerLater = s.EffectiveDeadline;
                return Task.CompletedTask;
            }, clock);
            await CancelScope.MoveOnAfterAsync(2 * Second, s =>
            {
                innerSooner = s.EffectiveDeadline;
                return Task.CompletedTask;
            }, clock);
        }, clock);
        Assert.Equal(start + (10 * Second), innerLater);
        Assert.Equal(start + (2 * Second), innerSooner);
    }

    [Fact]
    public async Task The_deadline_can_be_moved_while_the_scope_runs()
    {
        var clock = new VirtualClock();
        CancelScope? seen = null;
        var run = CancelScope.MoveOnAfterAsync(5 * Second, s =>
        {
            seen = s;
            return ForeverAsync(s.CancellationToken);
        }, clock);
        seen!.Deadline = clock.GetUtcNow() + (8 * Second);
        clock.Advance(5 * Second);
        Assert.False(run.IsCompleted);
        seen.Deadline = null;
        clock.Advance(TimeSpan.FromHours(1));
        Assert.False(run.IsCompleted);
        seen.Deadline = clock.GetUtcNow() + Second;
        clock.Advance(Second);
        Assert.True((await run).CancelledCaught);
    }

    [Fact]
    public async Task Moving_the_deadline_into_the_past_cancels_at_once()
    {
        var clock = new VirtualClock();
        var scope = await CancelScope.RunAsync(s =>
        {
            s.Deadline = clock.GetUtcNow();
            Assert.True(s.CancellationToken.IsCancellationRequested);
            return ForeverAsync(s.CancellationToken);
        });
        Assert.True(scope.CancelledCaught);
    }

    [Fact]
    public void A_shield_under_an_expired_outer_deadline_runs_its_cleanup_to_the_end() => LoopTest.Run(async clock =>
    {
        var cleanupMayFinish = Gate();
        var shieldSawCancel = true;
        var cleanupDone = false;
        CancelScope? shield = null;
        var outerRun = CancelScope.MoveOnAfterAsync(Second, async outer =>
        {
            try
            {
                await ForeverAsync(outer.CancellationToken);
            }
            finally
            {
                shield = await CancelScope.ShieldAsync(async s =>
                {
                    shieldSawCancel = s.CancellationToken.IsCancellationRequested;
                    await cleanupMayFinish.Task.WaitAsync(s.CancellationToken);
                    cleanupDone = true;
                }, clock);
            }
        }, clock);
        await clock.DelayAsync(2 * Second); // The deadline passes at 1 s; the cleanup is then blocked on its gate.
        Assert.False(outerRun.IsCompleted);
        Assert.False(cleanupDone);
        cleanupMayFinish.SetResult();
        var outerScope = await outerRun;
        Assert.Equal(2 * Second, clock.Elapsed);
        Assert.False(shieldSawCancel);
        Assert.True(cleanupDone);
        Assert.True(outerScope.CancelledCaught);
        Assert.True(shield!.IsShielded);
        Assert.Null(shield.EffectiveDeadline);
        Assert.False(shield.CancelledCaught);
    });

    [Fact]
    public void A_shield_still_obeys_its_own_deadline() => LoopTest.Run(async clock =>
    {
        CancelScope? shield = null;
        var outerScope = await CancelScope.MoveOnAtAsync(clock.GetUtcNow() - Second, async outer =>
        {
            Assert.True(outer.CancellationToken.IsCancellationRequested);
            shield = await CancelScope.ShieldAfterAsync(3 * Second, s => ForeverAsync(s.CancellationToken), clock);
            await ForeverAsync(outer.CancellationToken);
        }, clock);
        Assert.Equal(3 * Second, clock.Elapsed); // The expired outer scope did not cut the shield short.
        Assert.True(shield!.CancelledCaught); // Its own deadline, caught by itself: the outer is not involved.
        Assert.True(outerScope.CancelledCaught);
    });

    [Fact]
    public void A_result_shield_returns_its_value_under_a_cancelled_outer_scope() => LoopTest.Run(async clock =>
    {
        CancelScopeResult<int> saved = default;
        CancelScopeResult<int> abandoned = default;
        var outer = await CancelScope.RunAsync(async outer =>
        {
            outer.Cancel("shutting down");
            saved = await CancelScope.ShieldAsync(async s =>
            {
                await Task.Yield();
                s.CancellationToken.ThrowIfCancellationRequested();
                return 42;
            });
            abandoned = await CancelScope.ShieldAfterAsync(Second, async s =>
            {
                await ForeverAsync(s.CancellationToken);
                return 0;
            }, clock);
            await ForeverAsync(outer.CancellationToken);
        });
        Assert.Equal(Second, clock.Elapsed);
        Assert.Equal(42, saved.Value);
        Assert.True(abandoned.CancelledCaught);
        Assert.True(outer.CancelledCaught);
    });

    [Fact]
    public async Task A_shield_ignores_an_enclosing_group_being_cancelled()
    {
        var cleanupMayFinish = Gate();
        var cleanupSawCancel = true;
        var run = TaskGroup.RunAsync(group =>
        {
            group.Start(async ct =>
            {
                try
                {
                    await ForeverAsync(ct);
                }
                finally
                {
                    await CancelScope.ShieldAsync(async s =>
                    {
                        cleanupSawCancel = s.CancellationToken.IsCancellationRequested;
                        await cleanupMayFinish.Task;
                    });
                }
            });
            group.Cancel("stop");
            return Task.CompletedTask;
        });
        Assert.False(run.IsCompleted);
        cleanupMayFinish.SetResult();
        await run;
        Assert.False(cleanupSawCancel);
    }

    [Fact]
    public async Task Outer_token_cancellation_propagates_through_a_move_on_scope()
    {
        using var outer = new CancellationTokenSource();
        CancelScope? seen = null;
        var run = CancelScope.MoveOnAfterAsync(TimeSpan.FromHours(1), s =>
        {
            seen = s;
            return ForeverAsync(s.CancellationToken);
        }, new VirtualClock(), outer.Token);
        await outer.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.False(seen!.CancelledCaught);
        Assert.False(seen.IsCancellationRequested);
    }

    [Fact]
    public async Task Outer_token_cancellation_through_a_fail_scope_is_not_a_timeout()
    {
        using var outer = new CancellationTokenSource();
        var run = CancelScope.FailAfterAsync(TimeSpan.FromHours(1), async s =>
        {
            await ForeverAsync(s.CancellationToken);
            return 1;
        }, new VirtualClock(), outer.Token);
        await outer.CancelAsync();
        // The body's own cancellation passes through unchanged: an OperationCanceledException, not a timeout.
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(error.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task A_scope_inside_a_group_child_is_cancelled_with_the_group_without_its_token()
    {
        CancelScope? inner = null;
        await TaskGroup.RunAsync(group =>
        {
            _ = group.Start(_ => CancelScope.RunAsync(
                s =>
                {
                    inner = s;
                    return ForeverAsync(s.CancellationToken);
                },
                CancellationToken.None)); // Deliberately not passed: the ambient chain links them.
            group.Cancel("stop");
            return Task.CompletedTask;
        });
        Assert.False(inner!.CancelledCaught); // The group's cancellation passed through, the group absorbed it.
    }

    [Fact]
    public void A_group_inside_a_scope_is_cancelled_by_the_deadline_and_the_scope_absorbs_it() => LoopTest.Run(async clock =>
    {
        var childrenCancelled = 0;
        var scope = await CancelScope.MoveOnAfterAsync(Second, _ => TaskGroup.RunAsync(group =>
        {
            for (var i = 0; i < 3; i++)
            {
                group.Start(async ct =>
                {
                    try
                    {
                        await ForeverAsync(ct);
                    }
                    finally
                    {
                        Interlocked.Increment(ref childrenCancelled);
                    }
                });
            }

            return Task.CompletedTask;
        }), clock);
        Assert.Equal(Second, clock.Elapsed);
        Assert.True(scope.CancelledCaught);
        Assert.Equal(3, childrenCancelled);
    });

    [Fact]
    public void Failures_pass_through_a_scope_unchanged() => LoopTest.Run(async clock =>
    {
        await Assert.ThrowsAsync<FormatException>(() => CancelScope.MoveOnAfterAsync(Second, _ => throw new FormatException("x"), clock));
        var run = CancelScope.MoveOnAfterAsync(Second, async s =>
        {
            try
            {
                await ForeverAsync(s.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new InvalidDataException("cleanup failed");
            }
        }, clock);
        await Assert.ThrowsAsync<InvalidDataException>(() => run);
        Assert.Equal(Second, clock.Elapsed);
    });

    [Fact]
    public async Task The_readme_example_compiles_and_works()
    {
        var cancellationToken = CancellationToken.None;
        var fetched = await CancelScope.MoveOnAfterAsync(TimeSpan.FromSeconds(5), scope =>
            TaskGroup.RunAsync(async group =>
            {
                var a = group.Start(ct => GetStringAsync("http://127.0.0.1:5000/a", ct));
                var b = group.Start(ct => GetStringAsync("http://127.0.0.1:5000/b", ct));
                var c = group.Start(ct => GetStringAsync("http://127.0.0.1:5000/c", ct));
                return new[] { await a, await b, await c };
            }), cancellationToken: cancellationToken);
        string[] pages = fetched.Completed ? fetched.Value : [];
        Assert.Equal(["a", "b", "c"], pages);

        static async Task<string> GetStringAsync(string url, CancellationToken ct)
        {
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            return url[^1..];
        }
    }

    [Fact]
    public void A_negative_delay_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = CancelScope.MoveOnAfterAsync(TimeSpan.FromSeconds(-1), _ => Task.CompletedTask); });
}
