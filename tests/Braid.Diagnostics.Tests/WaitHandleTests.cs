namespace Braid.Diagnostics.Tests;

#pragma warning disable VSTHRD002 // Blocking on a task is part of the program under test.

/// <summary>
/// Wait handles (opt-in) come from the runtime's dispatch thread with the waiting OS thread and the
/// duration only, so the test learns its thread's OS id from a sync-over-async wait first.
/// </summary>
public sealed class WaitHandleTests
{
    [Fact]
    public async Task A_monitor_wait_is_reported_with_its_thread_and_a_task_wait_is_not_counted_twice()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var osThread = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waited = new TaskCompletionSource<BlockingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var detector = BlockingDetector.Start(new BlockingDetectorOptions
        {
            IncludeWaitHandles = true,
            WaitHandleThreshold = TimeSpan.Zero,
            OnBlocked = e =>
            {
                if (e.TaskId == gate.Task.Id)
                {
                    osThread.TrySetResult(e.OsThreadId);
                }
                else if (e.Kind == BlockingKind.WaitHandle && osThread.Task.IsCompletedSuccessfully && e.OsThreadId == osThread.Task.Result)
                {
                    waited.TrySetResult(e);
                }
            },
        });

        var monitor = new object();
        using var holding = new ManualResetEventSlim();
        var thread = Guard.StartThread(() =>
        {
            gate.Task.Wait(Guard.Timeout);
            lock (monitor)
            {
                holding.Set();
                Monitor.Wait(monitor, Guard.Timeout);
            }
        });

        await osThread.Task.WaitAsync(Guard.Timeout);
        gate.SetResult();
        Assert.True(holding.Wait(Guard.Timeout));

        // The lock is free again only once the thread is inside Monitor.Wait.
        lock (monitor)
        {
            Monitor.Pulse(monitor);
        }

        var wait = await waited.Task.WaitAsync(Guard.Timeout);
        Guard.Join(thread);

        Assert.Equal("wait handle", wait.CallSite);

        Assert.NotNull(wait.Duration);
        Assert.Null(wait.StackTrace);
        var site = Assert.Single(detector.GetCallSites(), s => s.Kind == BlockingKind.SyncOverAsync && s.Name.EndsWith("WaitHandleTests.A_monitor_wait_is_reported_with_its_thread_and_a_task_wait_is_not_counted_twice (lambda)", StringComparison.Ordinal));
        Assert.Equal(1, site.Count);
    }
}
