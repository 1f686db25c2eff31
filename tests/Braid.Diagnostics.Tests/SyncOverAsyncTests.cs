using System.Runtime.CompilerServices;

namespace Braid.Diagnostics.Tests;

#pragma warning disable VSTHRD002, VSTHRD103, VSTHRD003 // Blocking on tasks is the broken program under test.

/// <summary>
/// Sync-over-async is seen on the blocking thread as it blocks: the detector names the blocking API,
/// the user's method that called it, and the task waited on.
/// </summary>
public sealed class SyncOverAsyncTests
{
    public enum Api
    {
        Result,
        Wait,
        GetResult,
    }

    [Theory]
    [InlineData(Api.Result, "Task.Result")]
    [InlineData(Api.Wait, "Task.Wait")]
    [InlineData(Api.GetResult, "TaskAwaiter.GetResult")]
    public async Task A_blocking_wait_names_the_API_and_the_calling_method(Api api, string expectedApi)
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new TaskCompletionSource<BlockingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var detector = BlockingDetector.Start(new BlockingDetectorOptions
        {
            OnBlocked = e =>
            {
                if (e.TaskId == gate.Task.Id)
                {
                    seen.TrySetResult(e);
                }
            },
        });

        var thread = Guard.StartThread(() => BlockOn(gate.Task, api));
        var blocking = await seen.Task.WaitAsync(Guard.Timeout);
        gate.SetResult(42);
        Guard.Join(thread);

        Assert.Equal(BlockingKind.SyncOverAsync, blocking.Kind);
        Assert.Equal(expectedApi, blocking.BlockingApi);
        Assert.Equal("SyncOverAsyncTests.BlockOn", blocking.CallingMethod);
        Assert.Equal($"{expectedApi} called from SyncOverAsyncTests.BlockOn", blocking.CallSite);
        Assert.Equal(thread.ManagedThreadId, blocking.ManagedThreadId);
        Assert.Contains("SyncOverAsyncTests.BlockOn", blocking.StackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blocking_wait_inside_an_async_method_names_the_async_method()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new TaskCompletionSource<BlockingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var detector = BlockingDetector.Start(new BlockingDetectorOptions
        {
            OnBlocked = e =>
            {
                if (e.TaskId == gate.Task.Id)
                {
                    seen.TrySetResult(e);
                }
            },
        });

        var thread = Guard.StartThread(() => BlockInsideAsync(gate.Task).GetAwaiter().GetResult());
        var blocking = await seen.Task.WaitAsync(Guard.Timeout);
        gate.SetResult(42);
        Guard.Join(thread);

        Assert.Equal("SyncOverAsyncTests.BlockInsideAsync", blocking.CallingMethod);
    }

    [Fact]
    public async Task A_finished_wait_adds_its_time_to_its_call_site()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var detector = BlockingDetector.Start(new BlockingDetectorOptions
        {
            OnBlocked = e =>
            {
                if (e.TaskId == gate.Task.Id)
                {
                    seen.TrySetResult();
                }
            },
        });

        var thread = Guard.StartThread(() => BlockOn(gate.Task, Api.Result));
        await seen.Task.WaitAsync(Guard.Timeout);
        gate.SetResult(42);
        Guard.Join(thread);

        // The wait has ended (TaskWaitEnd, raised on the thread before it returned): its time no longer grows.
        var site = Assert.Single(detector.GetCallSites(), s => s.Name == "Task.Result called from SyncOverAsyncTests.BlockOn");
        Assert.Equal(BlockingKind.SyncOverAsync, site.Kind);
        Assert.Equal(1, site.Count);
        Assert.True(site.BlockedTime > TimeSpan.Zero);
        Assert.Equal(site.BlockedTime, Assert.Single(detector.GetCallSites(), s => s.Name == site.Name).BlockedTime);
    }

    [Fact]
    public async Task An_exception_in_the_callback_does_not_reach_the_blocking_thread()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var detector = BlockingDetector.Start(new BlockingDetectorOptions
        {
            OnBlocked = e =>
            {
                if (e.TaskId == gate.Task.Id)
                {
                    seen.TrySetResult();
                    throw new InvalidOperationException("a broken listener");
                }
            },
        });

        var result = 0;
        var thread = Guard.StartThread(() => result = BlockOn(gate.Task, Api.Result));
        await seen.Task.WaitAsync(Guard.Timeout);
        gate.SetResult(42);
        Guard.Join(thread);

        Assert.Equal(42, result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int BlockOn(Task<int> task, Api api)
    {
        switch (api)
        {
            case Api.Result:
                return task.Result;
            case Api.Wait:
                task.Wait();
                return task.Result;
            default:
                return task.GetAwaiter().GetResult();
        }
    }

    private static async Task BlockInsideAsync(Task<int> task)
    {
        await Task.CompletedTask;
        _ = task.Result;
    }
}
