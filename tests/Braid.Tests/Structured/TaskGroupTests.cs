using Braid.Loop;
using Braid.Structured;

namespace Braid.Tests.Structured;

public sealed class TaskGroupTests
{
    private static TaskCompletionSource Gate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Continuations run inside SetResult: what the gate releases has happened when SetResult returns.
    private static TaskCompletionSource InlineGate() => new();

    // Released off xunit's SynchronizationContext, where the TPL may inline continuations.
    private static Task ReleaseAsync(TaskCompletionSource gate) => Task.Run(gate.SetResult);

    private static async Task WaitForCancellationAsync(CancellationToken cancellationToken) =>
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);

    [Fact]
    public async Task Unnamed_children_off_a_loop_are_accounted_as_each_ends_in_any_order()
    {
        // 20 unnamed children span three shared batches of eight. They end in a scrambled order,
        // released inline on one pool thread, so each is accounted inside its own SetResult.
        const int count = 20;
        var gates = Enumerable.Range(0, count).Select(_ => InlineGate()).ToArray();
        int[] order = [13, 2, 19, 7, 0, 8, 15, 1, 16, 3, 10, 18, 5, 12, 6, 17, 9, 4, 14, 11];
        var failing = new HashSet<int> { 7, 16, 4 };
        TaskGroup? seen = null;
        var run = TaskGroup.RunAsync(
            group =>
            {
                seen = group;
                foreach (var gate in gates)
                {
                    group.Start(_ => gate.Task);
                }

                return Task.CompletedTask;
            },
            new TaskGroupOptions { Supervisor = true });

        var snapshots = await Task.Run(() => order.Select(i =>
        {
            if (failing.Contains(i))
            {
                gates[i].SetException(new InvalidOperationException($"child {i}"));
            }
            else
            {
                gates[i].SetResult();
            }

            return seen!.GetStatistics();
        }).ToList());

        for (var step = 0; step < count; step++)
        {
            var faulted = order.Take(step + 1).Count(failing.Contains);
            Assert.Equal(new TaskGroupStatistics(count - step - 1, step + 1 - faulted, faulted, 0, false, step == count - 1), snapshots[step]);
        }

        var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);
        Assert.Equal(["child 7", "child 16", "child 4"], error.InnerExceptions.Select(e => e.Message));
    }

    [Fact]
    public async Task A_child_whose_callback_is_late_is_accounted_once_whoever_claims_it()
    {
        // A child released under a SynchronizationContext has its callback queued to the pool, not
        // run inline, so a sibling of its batch that ends at once may find it finished and account
        // it first. Whichever callback claims it, every child is counted exactly once.
        for (var round = 0; round < 50; round++)
        {
            var late = InlineGate();
            var sibling = InlineGate();
            TaskGroup? seen = null;
            var run = TaskGroup.RunAsync(group =>
            {
                seen = group;
                group.Start(_ => late.Task);
                group.Start(_ => sibling.Task);
                return Task.CompletedTask;
            });

            await Task.Run(() =>
            {
                SynchronizationContext.SetSynchronizationContext(new ForeignContext());
                late.SetResult();
                SynchronizationContext.SetSynchronizationContext(null);
                sibling.SetResult();
            });

            await run;
            Assert.Equal(new TaskGroupStatistics(0, 2, 0, 0, false, true), seen!.GetStatistics());
        }
    }

    [Fact]
    public async Task Returns_only_after_every_child_has_finished()
    {
        var a = InlineGate();
        var b = InlineGate();
        TaskGroup? seen = null;
        var run = TaskGroup.RunAsync(group =>
        {
            seen = group;
            group.Start(_ => a.Task, "a");
            group.Start(_ => b.Task, "b");
            return Task.CompletedTask;
        });

        Assert.False(run.IsCompleted);
        Assert.Equal(new TaskGroupStatistics(2, 0, 0, 0, false, false), seen!.GetStatistics());
        await ReleaseAsync(a);
        Assert.Equal(new TaskGroupStatistics(1, 1, 0, 0, false, false), seen.GetStatistics());
        Assert.False(run.IsCompleted);
        b.SetResult();
        await run;
        Assert.Equal(new TaskGroupStatistics(0, 2, 0, 0, false, true), seen.GetStatistics());
        Assert.Equal(2, seen.GetStatistics().Started);
    }

    [Fact]
    public async Task Completes_synchronously_when_everything_does()
    {
        var run = TaskGroup.RunAsync(group =>
        {
            group.Start(_ => Task.CompletedTask);
            return Task.CompletedTask;
        });
        Assert.True(run.IsCompletedSuccessfully);
        await run;
    }

    [Fact]
    public async Task The_body_failing_while_children_wait_cancels_them_and_is_reported()
    {
        var childrenWaiting = 0;
        TaskGroup? seen = null;
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(async group =>
        {
            seen = group;
            for (var i = 0; i < 3; i++)
            {
                group.Start(async ct =>
                {
                    Interlocked.Increment(ref childrenWaiting);
                    await WaitForCancellationAsync(ct);
                });
            }

            await Task.Yield();
            throw new InvalidOperationException("body broke");
        }));

        Assert.Equal(3, childrenWaiting);
        var only = Assert.Single(error.InnerExceptions);
        Assert.Equal("body broke", only.Message);
        Assert.Equal(["body"], error.ChildNames);
        Assert.Equal(new TaskGroupStatistics(0, 0, 0, 3, true, true), seen!.GetStatistics());
        Assert.Contains("body", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_children_failing_are_both_reported_in_the_order_they_failed()
    {
        var first = Gate();
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(group =>
        {
            // "late" fails only in its cleanup, after "early" has failed and cancelled the group.
            group.Start(
                async ct =>
                {
                    try
                    {
                        await WaitForCancellationAsync(ct);
                    }
                    catch (OperationCanceledException)
                    {
                        throw new FormatException("cleanup of late failed");
                    }
                },
                "late");
            group.Start(
                async _ =>
                {
                    await first.Task;
                    throw new InvalidOperationException("early failed");
                },
                "early");
            first.SetResult();
            return Task.CompletedTask;
        }));

        Assert.Equal(["early failed", "cleanup of late failed"], error.InnerExceptions.Select(e => e.Message));
        Assert.StartsWith("2 failures in task group #", error.Message, StringComparison.Ordinal);
        Assert.Equal(["early", "late"], error.ChildNames);
        Assert.IsType<InvalidOperationException>(error.InnerExceptions[0]);
        Assert.IsType<FormatException>(error.InnerExceptions[1]);
    }

    [Fact]
    public async Task A_single_failure_is_still_wrapped_so_callers_handle_one_shape()
    {
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(group =>
        {
            group.Start(_ => throw new ArgumentException("sync throw"), "thrower");
            return Task.CompletedTask;
        }));
        Assert.IsType<ArgumentException>(Assert.Single(error.InnerExceptions));
        Assert.Equal(["thrower"], error.ChildNames);
        Assert.NotEqual(0, error.GroupId);
    }

    [Fact]
    public async Task Awaiting_a_failed_child_in_the_body_reports_the_failure_once()
    {
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(async group =>
        {
            var child = group.Start<int>(
                async _ =>
                {
                    await Task.Yield();
                    throw new InvalidOperationException("child failed");
                },
                "child");
            return await child;
        }));
        Assert.Equal("child failed", Assert.Single(error.InnerExceptions).Message);
    }

    [Fact]
    public async Task Outer_cancellation_propagates_only_after_cleanup_has_finished()
    {
        using var outer = new CancellationTokenSource();
        var cleanupStarted = Gate();
        var cleanupMayFinish = Gate();
        var cleanupDone = false;
        var run = TaskGroup.RunAsync(
            group =>
            {
                group.Start(async ct =>
                {
                    try
                    {
                        await WaitForCancellationAsync(ct);
                    }
                    finally
                    {
                        cleanupStarted.SetResult();
                        await cleanupMayFinish.Task; // Cleanup that ignores the cancellation.
                        cleanupDone = true;
                    }
                });
                return Task.CompletedTask;
            },
            outer.Token);

        await outer.CancelAsync();
        await cleanupStarted.Task;
        Assert.False(run.IsCompleted);
        cleanupMayFinish.SetResult();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(cleanupDone);
        Assert.Equal(outer.Token, error.CancellationToken);
    }

    [Fact]
    public async Task Cancel_ends_the_group_quietly()
    {
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(async group =>
        {
            seen = group;
            group.Start(WaitForCancellationAsync, "waiter");
            await Task.Yield();
            group.Cancel("enough");
            await WaitForCancellationAsync(group.CancellationToken); // The body's own cancellation is absorbed too.
        });

        Assert.Equal("enough", seen!.CancelReason);
        Assert.Equal(new TaskGroupStatistics(0, 0, 0, 1, true, true), seen.GetStatistics());
    }

    [Fact]
    public async Task The_result_overload_returns_the_body_result_and_children_results()
    {
        var sum = await TaskGroup.RunAsync(async group =>
        {
            var a = group.Start(async _ =>
            {
                await Task.Yield();
                return 20;
            });
            var b = group.Start(_ => Task.FromResult(22));
            return await a + await b;
        });
        Assert.Equal(42, sum);
    }

    [Fact]
    public async Task The_result_overload_cannot_absorb_a_cancellation_that_prevented_its_result()
    {
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TaskGroup.RunAsync<int>(async group =>
        {
            group.Cancel("stop");
            await WaitForCancellationAsync(group.CancellationToken);
            return 1;
        }));
        Assert.Contains("stop", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_result_body_that_cancels_itself_synchronously_has_no_result()
    {
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TaskGroup.RunAsync<int>(group =>
        {
            group.Cancel("at once");
            throw new OperationCanceledException(group.CancellationToken);
        }));
        Assert.Contains("at once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_on_a_finished_group_throws_a_clear_error()
    {
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(group =>
        {
            seen = group;
            return Task.CompletedTask;
        });

        var error = Assert.Throws<InvalidOperationException>(() => seen!.Start(_ => Task.CompletedTask, "late"));
        Assert.Contains("'late'", error.Message, StringComparison.Ordinal);
        Assert.Contains("has finished", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => { _ = seen!.Start(_ => Task.FromResult(1)); });
        Assert.Throws<InvalidOperationException>(() => { _ = seen!.StartAsync<int>((_, _) => Task.CompletedTask); });
        seen!.Cancel(); // Harmless once finished.
    }

    [Fact]
    public async Task A_running_child_can_start_more_children_after_the_body_returned()
    {
        var gate = Gate();
        var grandchildRan = false;
        var run = TaskGroup.RunAsync(group =>
        {
            group.Start(async _ =>
            {
                await gate.Task;
                group.Start(async _ =>
                {
                    await Task.Yield();
                    grandchildRan = true;
                });
            });
            return Task.CompletedTask;
        });
        gate.SetResult();
        await run;
        Assert.True(grandchildRan);
    }

    [Fact]
    public async Task StartAsync_returns_the_started_value_and_the_child_keeps_running_in_the_group()
    {
        var stop = Gate();
        var portKnown = Gate();
        var childFinished = false;
        var port = 0;
        var run = TaskGroup.RunAsync(async group =>
        {
            port = await group.StartAsync<int>(
                async (started, ct) =>
                {
                    await Task.Yield();
                    started.Started(8080);
                    await stop.Task;
                    childFinished = true;
                },
                "server");
            portKnown.SetResult();
        });

        await portKnown.Task;
        Assert.Equal(8080, port);
        Assert.False(run.IsCompleted);
        stop.SetResult();
        await run;
        Assert.True(childFinished);
    }

    [Fact]
    public async Task StartAsync_failing_before_started_throws_from_StartAsync_not_from_the_group()
    {
        Exception? caught = null;
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(async group =>
        {
            seen = group;
            try
            {
                await group.StartAsync<int>(
                    async (_, _) =>
                    {
                        await Task.Yield();
                        throw new InvalidOperationException("could not bind");
                    });
            }
            catch (InvalidOperationException exception)
            {
                caught = exception;
            }
        });

        Assert.Equal("could not bind", caught!.Message);
        Assert.Equal(1, seen!.GetStatistics().Faulted);
        Assert.False(seen.GetStatistics().IsCancellationRequested);
    }

    [Fact]
    public async Task StartAsync_failing_after_started_fails_the_group()
    {
        var fail = Gate();
        var value = 0;
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(async group =>
        {
            value = await group.StartAsync<int>(
                async (started, _) =>
                {
                    started.Started(1);
                    await fail.Task;
                    throw new InvalidOperationException("crashed later");
                },
                "server");
            fail.SetResult();
        }));

        Assert.Equal(1, value);
        Assert.Equal("crashed later", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(["server"], error.ChildNames);
    }

    [Fact]
    public async Task StartAsync_finishing_without_started_is_an_error_of_the_caller()
    {
        await TaskGroup.RunAsync(async group =>
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(
                () => group.StartAsync<int>((_, _) => Task.CompletedTask, "lazy"));
            Assert.Contains("without calling StartSignal.Started", error.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task StartAsync_reporting_twice_is_an_error_of_the_child()
    {
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(async group =>
        {
            await group.StartAsync<int>(
                (started, _) =>
                {
                    started.Started(1);
                    started.Started(2);
                    return Task.CompletedTask;
                });
        }));
        Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions));
    }

    [Fact]
    public async Task StartAsync_cancelled_by_its_caller_before_started_cancels_only_that_child()
    {
        using var callerCts = new CancellationTokenSource();
        TaskGroup? seen = null;
        var childSawCancel = false;
        await TaskGroup.RunAsync(async group =>
        {
            seen = group;
            var starting = group.StartAsync<int>(
                async (_, ct) =>
                {
                    try
                    {
                        await WaitForCancellationAsync(ct);
                    }
                    finally
                    {
                        childSawCancel = ct.IsCancellationRequested;
                    }
                },
                cancellationToken: callerCts.Token);
            await callerCts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);
        });

        Assert.True(childSawCancel);
        Assert.False(seen!.GetStatistics().IsCancellationRequested);
        Assert.Equal(1, seen.GetStatistics().Cancelled);
    }

    [Fact]
    public async Task StartAsync_after_started_ignores_the_caller_token()
    {
        using var callerCts = new CancellationTokenSource();
        var stop = Gate();
        var run = TaskGroup.RunAsync(async group =>
        {
            await group.StartAsync<bool>(
                async (started, ct) =>
                {
                    started.Started(true);
                    await stop.Task;
                    Assert.False(ct.IsCancellationRequested);
                },
                cancellationToken: callerCts.Token);
            await callerCts.CancelAsync();
            stop.SetResult();
        });
        await run;
    }

    [Fact]
    public async Task A_supervisor_keeps_siblings_running_and_reports_failures_at_the_end()
    {
        var failB = InlineGate();
        var failA = InlineGate();
        var finishC = InlineGate();
        TaskGroup? seen = null;
        var run = TaskGroup.RunAsync(
            group =>
            {
                seen = group;
                group.Start(
                    async _ =>
                    {
                        await failA.Task.ConfigureAwait(false); // Not xunit's context: the failure lands inside ReleaseAsync.
                        throw new InvalidOperationException("A");
                    },
                    "a");
                group.Start(
                    async _ =>
                    {
                        await failB.Task.ConfigureAwait(false); // Not xunit's context: the failure lands inside ReleaseAsync.
                        throw new InvalidOperationException("B");
                    },
                    "b");
                group.Start(
                    async ct =>
                    {
                        await finishC.Task;
                        Assert.False(ct.IsCancellationRequested);
                    },
                    "c");
                return Task.CompletedTask;
            },
            new TaskGroupOptions { Supervisor = true, Name = "sup" });

        await ReleaseAsync(failB);
        Assert.Equal(1, seen!.GetStatistics().Faulted);
        await ReleaseAsync(failA);
        Assert.Equal(2, seen.GetStatistics().Faulted);
        Assert.False(run.IsCompleted);
        Assert.False(seen!.GetStatistics().IsCancellationRequested);
        finishC.SetResult();
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);
        Assert.Equal(["B", "A"], error.InnerExceptions.Select(e => e.Message));
        Assert.Equal("sup", error.GroupName);
        Assert.Equal(new TaskGroupStatistics(0, 1, 2, 0, false, true), seen.GetStatistics());
    }

    [Fact]
    public async Task A_cancellation_from_a_token_the_group_does_not_own_is_a_failure()
    {
        using var foreign = new CancellationTokenSource();
        await foreign.CancelAsync();
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(group =>
        {
            group.Start(_ => Task.Delay(Timeout.InfiniteTimeSpan, foreign.Token), "client timeout");
            return Task.CompletedTask;
        }));
        Assert.IsAssignableFrom<OperationCanceledException>(Assert.Single(error.InnerExceptions));
    }

    [Fact]
    public async Task A_nested_group_failure_is_one_failure_of_the_outer_group()
    {
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(group =>
        {
            group.Start(
                ct => TaskGroup.RunAsync(
                    inner =>
                    {
                        inner.Start(_ => throw new InvalidOperationException("deep"));
                        return Task.CompletedTask;
                    },
                    ct),
                "inner group");
            return Task.CompletedTask;
        }));
        var inner = Assert.IsType<TaskGroupException>(Assert.Single(error.InnerExceptions));
        Assert.Equal("deep", Assert.Single(inner.InnerExceptions).Message);
    }

    [Fact]
    public async Task A_nested_group_is_cancelled_with_its_parent_even_without_the_token()
    {
        var innerCancelled = Gate();
        await TaskGroup.RunAsync(async group =>
        {
            group.Start(_ => TaskGroup.RunAsync(
                inner =>
            {
                inner.Start(async ct =>
                {
                    try
                    {
                        await WaitForCancellationAsync(ct);
                    }
                    finally
                    {
                        innerCancelled.SetResult();
                    }
                });
                return Task.CompletedTask;
            },
                CancellationToken.None)); // Deliberately not passed: the ambient chain links the groups.
            await Task.Yield();
            group.Cancel("parent stops");
        });
        Assert.True(innerCancelled.Task.IsCompleted);
    }

    [Fact]
    public void Children_start_in_the_callers_single_threaded_context()
    {
        var threads = AsyncLoop.Run(async () =>
        {
            var loopThread = Environment.CurrentManagedThreadId;
            var seen = new List<int>();
            await TaskGroup.RunAsync(group =>
            {
                for (var i = 0; i < 3; i++)
                {
                    group.Start(async _ =>
                    {
                        seen.Add(Environment.CurrentManagedThreadId);
                        await Task.Yield();
                        seen.Add(Environment.CurrentManagedThreadId); // Resumed on the context.
                    });
                }

                return Task.CompletedTask;
            });
            seen.Add(Environment.CurrentManagedThreadId);
            return (ThreadId: loopThread, seen);
        });

        Assert.Equal(7, threads.seen.Count);
        Assert.All(threads.seen, id => Assert.Equal(threads.ThreadId, id));
    }

    [Fact]
    public async Task Debugger_display_and_to_string_name_the_group()
    {
        TaskGroup? seen = null;
        await TaskGroup.RunAsync(
            group =>
            {
                seen = group;
                return Task.CompletedTask;
            },
            new TaskGroupOptions { Name = "fetch" });
        Assert.Equal($"task group #{seen!.Id} 'fetch'", seen.ToString());
        Assert.Equal("fetch", seen.Name);
    }

    // Any context but the default: the TPL queues a continuation rather than run it inline under it.
    private sealed class ForeignContext : SynchronizationContext;
}
