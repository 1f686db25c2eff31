using System.Diagnostics;
using System.Reflection;
using Braid.Instrumentation;
using Braid.Loop;

namespace Braid.Tests.Loop;

// Debug mode turns the runtime's task event source on and forces garbage collections, and one test
// sets BRAID_DEBUG: these tests run alone.
[Collection(nameof(DebugModeCollection))]
public sealed class DebugModeTests
{
    [Fact]
    public void A_slow_step_is_reported_with_its_duration_and_method()
    {
        var (events, output) = RunDebug(
            async () =>
            {
                await Task.Yield();
                HoldTheLoop();
            },
            threshold: TimeSpan.FromMilliseconds(1));

        var slow = Assert.Single(events, e => e.Kind == BraidEventKind.SlowStep && e.Duration >= TimeSpan.FromMilliseconds(20));
        Assert.Contains(nameof(A_slow_step_is_reported_with_its_duration_and_method), slow.Name, StringComparison.Ordinal);
        Assert.Contains("slow step", output, StringComparison.Ordinal);
        Assert.Contains("held the loop for", output, StringComparison.Ordinal);

        // Busy work, not a sleep: the step really holds the thread for 20 ms.
        static void HoldTheLoop()
        {
            var start = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(start) < TimeSpan.FromMilliseconds(20))
            {
                Thread.SpinWait(100);
            }
        }
    }

    [Fact]
    public void A_slow_step_woken_by_a_lock_hand_off_is_reported_with_the_waiting_method()
    {
        var (events, _) = RunDebug(
            async () =>
            {
                var gate = new Braid.Coordination.AsyncLock();
                var holder = await gate.LockAsync();
                var waiter = TakeTheLockThenHoldTheLoopAsync(gate);
                await Task.Yield();
                holder.Dispose(); // the waiter's wake is a loop step (design rule 36)
                await waiter;
            },
            threshold: TimeSpan.FromMilliseconds(1));

        // The step that held the loop is named after the method the hand-off resumed, not the wake's plumbing.
        // (The entry point's first step may be slow too, with the JIT and debug mode's listener starting.)
        Assert.Contains(events, e => e.Kind == BraidEventKind.SlowStep
            && e.Duration >= TimeSpan.FromMilliseconds(20)
            && e.Name!.Contains(nameof(TakeTheLockThenHoldTheLoopAsync), StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Name?.Contains("Waiter", StringComparison.Ordinal) == true);

        static async Task TakeTheLockThenHoldTheLoopAsync(Braid.Coordination.AsyncLock gate)
        {
            using (await gate.LockAsync())
            {
                var start = Stopwatch.GetTimestamp();
                while (Stopwatch.GetElapsedTime(start) < TimeSpan.FromMilliseconds(20))
                {
                    Thread.SpinWait(100);
                }
            }
        }
    }

    [Fact]
    public void Fast_steps_are_not_reported()
    {
        var (events, _) = RunDebug(async () => await Task.Yield(), threshold: TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(events, e => e.Kind == BraidEventKind.SlowStep);
    }

    [Fact]
    public void Blocking_the_loop_thread_on_an_incomplete_task_is_reported()
    {
        var tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        long loopId = 0;

        // The report arrives on the loop thread just before it blocks; another thread then unblocks it.
        using var unblock = BraidInstrumentation.Subscribe(e =>
        {
            if (e.Kind == BraidEventKind.BlockingWait && e.SourceId == Volatile.Read(ref loopId))
            {
                ThreadPool.QueueUserWorkItem(_ => tcs.TrySetResult(7));
            }
        });
        var value = 0;
        var (events, output) = RunDebug(async () =>
        {
            Volatile.Write(ref loopId, AsyncLoop.Current!.Id);
            await Task.Yield();
#pragma warning disable VSTHRD002, VSTHRD103, xUnit1031 // The blocking wait is what this test is about.
            value = tcs.Task.Result;
#pragma warning restore VSTHRD002, VSTHRD103, xUnit1031
        });

        Assert.Equal(7, value);
        var report = Assert.Single(events, e => e.Kind == BraidEventKind.BlockingWait);
        Assert.Contains(nameof(Blocking_the_loop_thread_on_an_incomplete_task_is_reported), report.Name, StringComparison.Ordinal);
        Assert.Contains("blocking wait", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Waiting_on_a_completed_task_is_not_reported()
    {
        var (events, _) = RunDebug(async () =>
        {
            await Task.Yield();
#pragma warning disable VSTHRD002, VSTHRD103, xUnit1031 // Completed: no blocking.
            _ = Task.FromResult(1).Result;
#pragma warning restore VSTHRD002, VSTHRD103, xUnit1031
        });
        Assert.DoesNotContain(events, e => e.Kind == BraidEventKind.BlockingWait);
    }

    [Fact]
    public void Tasks_left_unfinished_at_exit_are_reported()
    {
        var never = new TaskCompletionSource();
        var (events, output) = RunDebug(async () =>
        {
            _ = WaitsForeverAsync(never.Task);
            await Task.Yield();
            await Task.Yield();
        });

        var report = Assert.Single(events, e => e.Kind == BraidEventKind.UnfinishedTask);
        Assert.Contains(nameof(WaitsForeverAsync), report.Name, StringComparison.Ordinal);
        Assert.Contains("unfinished task", output, StringComparison.Ordinal);
        never.SetResult();

        static async Task WaitsForeverAsync(Task never)
        {
            await Task.Yield();
            await never;
        }
    }

    [Fact]
    public void A_task_that_began_on_the_loop_and_never_resumed_is_reported_once_by_name()
    {
        // Its only await waits for something that never comes: no continuation of it ever reaches
        // the loop, so only the runtime's task events know it began there. The one that finished
        // is not reported, nor is the entry point.
        var never = new TaskCompletionSource();
        var (events, output) = RunDebug(async () =>
        {
            _ = NeverResumesAsync(never.Task);
            await FinishesAsync();
        });

        var report = Assert.Single(events, e => e.Kind == BraidEventKind.UnfinishedTask);
        Assert.Contains(nameof(NeverResumesAsync), report.Name, StringComparison.Ordinal);
        Assert.Contains("unfinished task", output, StringComparison.Ordinal);
        never.SetResult();

        static async Task NeverResumesAsync(Task never) => await never;

        static async Task FinishesAsync() => await Task.Yield();
    }

    [Fact]
    public void Faulted_tasks_nobody_observed_are_reported_at_exit()
    {
        var (events, output) = RunDebug(async () =>
        {
            StartAndForget();
            await Task.Yield();
            await Task.Yield();
            await Task.Yield();
        });

        var report = Assert.Single(events, e => e.Kind == BraidEventKind.UnobservedFault);
        Assert.IsType<InvalidOperationException>(report.Exception);
        Assert.Contains("nobody observed", output, StringComparison.Ordinal);

        // Not inlined, so that no local of the test keeps the task alive.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void StartAndForget() => _ = FailsLaterAsync();

        static async Task FailsLaterAsync()
        {
            await Task.Yield();
            throw new InvalidOperationException("nobody looks at me");
        }
    }

    [Fact]
    public void An_observed_fault_is_not_reported()
    {
        var (events, _) = RunDebug(async () =>
        {
            var failing = FailsAsync();
            await Task.Yield();
            await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        });
        Assert.DoesNotContain(events, e => e.Kind == BraidEventKind.UnobservedFault);

        static async Task FailsAsync()
        {
            await Task.Yield();
            throw new InvalidOperationException("seen");
        }
    }

    [Fact]
    public void The_debugger_does_not_keep_the_tasks_that_finished()
    {
        // 20,000 async methods resume on the loop and finish: the debugger tracked every one for the
        // loop's life. It keeps the live ones (and faulted ones while they live) only.
        const int Tasks = 20_000;
        var peak = 0;
        var (events, _) = RunDebug(async () =>
        {
            var debugger = DebuggerOf(AsyncLoop.Current!);
            for (var i = 0; i < Tasks; i++)
            {
                await FinishesAsync();
                peak = Math.Max(peak, debugger.TrackedTaskCount);
            }
        });

        Assert.InRange(peak, 1, 1_000);
        Assert.DoesNotContain(events, e => e.Kind is BraidEventKind.UnfinishedTask or BraidEventKind.UnobservedFault);

        static async Task FinishesAsync() => await Task.Yield();
    }

    [Fact]
    public void A_fault_nobody_observed_is_still_reported_after_many_finished_tasks_were_forgotten()
    {
        var (events, _) = RunDebug(async () =>
        {
            StartAndForget();
            for (var i = 0; i < 2_000; i++)
            {
                await Task.Yield();
                await FinishesAsync();
            }
        });

        var report = Assert.Single(events, e => e.Kind == BraidEventKind.UnobservedFault);
        Assert.IsType<InvalidOperationException>(report.Exception);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void StartAndForget() => _ = FailsLaterAsync();

        static async Task FailsLaterAsync()
        {
            await Task.Yield();
            throw new InvalidOperationException("nobody looks at me");
        }

        static async Task FinishesAsync() => await Task.Yield();
    }

    [Fact]
    public void Debug_mode_follows_the_environment_variable_unless_set_explicitly()
    {
        var previous = Environment.GetEnvironmentVariable(AsyncLoopOptions.DebugEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(AsyncLoopOptions.DebugEnvironmentVariable, "1");
            Assert.True(AsyncLoop.Run(() => Task.FromResult(AsyncLoop.Current!.IsDebugMode), new AsyncLoopOptions { DebugOutput = TextWriter.Null }));
            Assert.False(AsyncLoop.Run(() => Task.FromResult(AsyncLoop.Current!.IsDebugMode), new AsyncLoopOptions { Debug = false }));
            Environment.SetEnvironmentVariable(AsyncLoopOptions.DebugEnvironmentVariable, null);
            Assert.False(AsyncLoop.Run(() => Task.FromResult(AsyncLoop.Current!.IsDebugMode)));
        }
        finally
        {
            Environment.SetEnvironmentVariable(AsyncLoopOptions.DebugEnvironmentVariable, previous);
        }
    }

    // The loop's debugger, which the loop keeps private.
    private static LoopDebugger DebuggerOf(AsyncLoop loop)
        => (LoopDebugger)(typeof(AsyncLoop).GetField("_debugger", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(loop)
            ?? throw new InvalidOperationException("AsyncLoop._debugger not found: update DebuggerOf."));

    private static (List<BraidEvent> Events, string Output) RunDebug(Func<Task> body, TimeSpan? threshold = null)
    {
        var events = new List<BraidEvent>();
        long loopId = -1;
        var output = new StringWriter();
        using (BraidInstrumentation.Subscribe(e =>
        {
            if (e.SourceId == Volatile.Read(ref loopId))
            {
                lock (events)
                {
                    events.Add(e);
                }
            }
        }))
        {
            AsyncLoop.Run(
                async () =>
                {
                    Volatile.Write(ref loopId, AsyncLoop.Current!.Id);
                    await body();
                },
                new AsyncLoopOptions { Debug = true, SlowStepThreshold = threshold ?? TimeSpan.FromSeconds(30), DebugOutput = output });
        }

        lock (events)
        {
            return ([.. events], output.ToString());
        }
    }
}

[CollectionDefinition(nameof(DebugModeCollection), DisableParallelization = true)]
public sealed class DebugModeCollection;
