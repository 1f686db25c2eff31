using System.Runtime.CompilerServices;

namespace Braid.Diagnostics.Tests;

#pragma warning disable VSTHRD002, VSTHRD103 // Blocking pool threads is the broken program under test.

/// <summary>
/// Broken and healthy programs, run for real on the thread pool; the tests wait on what the monitor
/// reports, never on time, and assert names and verdicts, never durations (.NET adds threads faster
/// for blocked tasks than for other blocking, so how long a run starves is the runtime's business).
/// </summary>
public sealed class StarvationTests
{
    [Fact]
    public async Task Sync_over_async_under_load_is_named_by_the_verdict()
    {
        // More blocked work items than the pool has threads, each blocking on an async lookup.
        var load = Math.Max(ThreadPool.ThreadCount, Environment.ProcessorCount) + Environment.ProcessorCount;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allBlocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = 0;
        await using var monitor = StarvationMonitor.Start(new StarvationMonitorOptions
        {
            Blocking = new BlockingDetectorOptions
            {
                OnBlocked = e =>
                {
                    if (e.CallingMethod == "StarvationTests.LookUpOrder" && Interlocked.Increment(ref blocked) == load)
                    {
                        allBlocked.TrySetResult();
                    }
                },
            },
        });

        var requests = Enumerable.Range(0, load).Select(i => Task.Run(() => LookUpOrder(gate.Task, i))).ToList();
        await allBlocked.Task.WaitAsync(Guard.Timeout);
        gate.SetResult();
        await Task.WhenAll(requests).WaitAsync(Guard.Timeout);

        var report = monitor.Verdict();
        var top = report.CallSites[0];
        Assert.Equal("Task.Result called from StarvationTests.LookUpOrder", top.Name);
        Assert.Equal(BlockingKind.SyncOverAsync, top.Kind);
        Assert.Equal(load, top.Count);
        Assert.Contains("% of blocked time in Task.Result called from StarvationTests.LookUpOrder", report.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blocking_that_raises_no_event_is_inferred_from_the_heartbeat()
    {
        // Pool threads blocked on a ManualResetEventSlim: no task wait, so the runtime adds threads
        // only at its starvation pace, and the heartbeat waits behind them.
        var load = ThreadPool.ThreadCount + 1;
        using var gate = new ManualResetEventSlim();
        var starved = new TaskCompletionSource<StarvationReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var monitor = StarvationMonitor.Start(new StarvationMonitorOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(20),
            LagThreshold = TimeSpan.FromMilliseconds(100),
            OnStarved = r => starved.TrySetResult(r),
        });

        var work = Enumerable.Range(0, load).Select(_ => Task.Run(() => gate.Wait(Guard.Timeout))).ToList();
        var atTheTime = await starved.Task.WaitAsync(Guard.Timeout);
        gate.Set();
        await Task.WhenAll(work).WaitAsync(Guard.Timeout);

        Assert.True(atTheTime.Starved);
        var report = monitor.Verdict();
        Assert.True(report.Starved);
        Assert.StartsWith("thread pool starved for ", report.Verdict, StringComparison.Ordinal);
        Assert.Contains(report.Samples, s => s.Lag >= report.LagThreshold);
        Assert.DoesNotContain(report.CallSites, s => s.Name.Contains("StarvationTests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_healthy_program_is_not_starved()
    {
        var beats = 0;
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var monitor = StarvationMonitor.Start(new StarvationMonitorOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(10),

            // Generous for a loaded two-core machine: a healthy pool runs new work within milliseconds.
            LagThreshold = TimeSpan.FromSeconds(1),
            OnHeartbeat = _ =>
            {
                if (Interlocked.Increment(ref beats) == 20)
                {
                    enough.TrySetResult();
                }
            },
        });

        // Async all the way: many requests, every wait an await.
        var requests = Task.WhenAll(Enumerable.Range(0, 2000).Select(i => Task.Run(() => LookUpOrderAsync(Task.CompletedTask, i))));
        await enough.Task.WaitAsync(Guard.Timeout);
        await requests.WaitAsync(Guard.Timeout);

        var report = monitor.Verdict();
        Assert.False(report.Starved, report.Verdict);
        Assert.StartsWith("thread pool not starved: ", report.Verdict, StringComparison.Ordinal);
        Assert.True(report.Samples.Count >= 20);
        Assert.DoesNotContain(report.CallSites, s => s.Name.Contains("StarvationTests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wait_off_the_pool_is_not_blamed_for_starvation()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var monitor = StarvationMonitor.Start();

        // A detector of its own sees the wait on the same thread, before the thread blocks.
        using var everywhere = BlockingDetector.Start(new BlockingDetectorOptions
        {
            OnBlocked = e =>
            {
                if (e.CallingMethod == "StarvationTests.LookUpOrder")
                {
                    seen.TrySetResult();
                }
            },
        });

        var thread = Guard.StartThread(() => LookUpOrder(gate.Task, 1));
        await seen.Task.WaitAsync(Guard.Timeout);
        gate.SetResult(1);
        Guard.Join(thread);

        Assert.Contains(everywhere.GetCallSites(), s => s.Name == "Task.Result called from StarvationTests.LookUpOrder");
        Assert.DoesNotContain(monitor.Verdict().CallSites, s => s.Name.Contains("StarvationTests", StringComparison.Ordinal));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LookUpOrder(Task database, int id) => LookUpOrderAsync(database, id).Result;

    private static async Task<int> LookUpOrderAsync(Task database, int id)
    {
        await database;
        await Task.Yield();
        return id;
    }
}
