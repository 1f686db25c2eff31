using Braid.Loop;
using Braid.Tests.Shared;
using Braid.Time;

namespace Braid.Tests.Loop;

public sealed class BridgeTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ToThread_runs_more_blocking_calls_than_pool_threads_while_the_pool_stays_responsive()
    {
        ThreadPool.GetMinThreads(out var poolThreads, out _);
        var calls = poolThreads + 8;
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        var onPool = 0;

        var blocking = Enumerable.Range(0, calls).Select(i => ToThread.RunAsync(() =>
        {
            if (Thread.CurrentThread.IsThreadPoolThread)
            {
                Interlocked.Increment(ref onPool);
            }

            if (Interlocked.Increment(ref started) == calls)
            {
                allStarted.SetResult();
            }

            release.Wait(); // a blocking call, as ToThread expects
            return i;
        })).ToList();

        await allStarted.Task.WaitAsync(HangGuard);

        // Every call is blocked on its own thread; the pool still runs work at once.
        var pool = await Task.Run(() => Thread.CurrentThread.IsThreadPoolThread).WaitAsync(HangGuard);
        Assert.True(pool);
        Assert.Equal(0, onPool);

        release.Set();
        var results = await Task.WhenAll(blocking).WaitAsync(HangGuard);
        Assert.Equal(Enumerable.Range(0, calls), results);
    }

    [Fact]
    public async Task The_set_of_threads_is_bounded_and_queued_calls_run_in_order()
    {
        var pool = new BlockingThreadPool(2, "test-blocking");
        using var release = new ManualResetEventSlim();
        var order = new List<int>();
        var twoRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var calls = Enumerable.Range(0, 6).Select(i => ToThread.RunAsync(
            pool,
            () =>
            {
                if (Interlocked.Increment(ref running) == 2)
                {
                    twoRunning.TrySetResult();
                }

                release.Wait();
                lock (order)
                {
                    order.Add(i);
                }

                return i;
            },
            CancellationToken.None)).ToList();

        await twoRunning.Task.WaitAsync(HangGuard);
        var stats = pool.GetStatistics();
        Assert.Equal(2, stats.Threads);
        Assert.Equal(4, stats.Queued);
        release.Set();
        await Task.WhenAll(calls).WaitAsync(HangGuard);
        Assert.Equal(2, pool.GetStatistics().PeakBusy);
        Assert.Equal(6, order.Count);

        // With one thread, queued calls run strictly first come, first served.
        var single = new BlockingThreadPool(1, "test-single");
        var sequence = new List<int>();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => ToThread.RunAsync(single, () => { sequence.Add(i); return i; }, CancellationToken.None))).WaitAsync(HangGuard);
        Assert.Equal(Enumerable.Range(0, 20), sequence);
    }

    [Fact]
    public async Task A_burst_of_calls_that_wait_for_each_other_gets_a_thread_each_even_with_a_thread_idle()
    {
        const int Calls = 8;
        var pool = new BlockingThreadPool(Calls * 2, "test-burst");

        // Warm: one thread, idle. It used to count as idle for every call of the burst, so the calls
        // queued behind it and no thread was started for them.
        Assert.Equal(1, await ToThread.RunAsync(pool, () => 1, CancellationToken.None).WaitAsync(HangGuard));
        Assert.True(SpinWait.SpinUntil(() => pool.GetStatistics().Idle == 1, HangGuard), "the warm thread never went idle");

        // Each call blocks until all have arrived: they can finish only if they run at once, on N threads.
        // The barrier's timeout is only a hang guard: a call that times out fails the test.
        using var barrier = new Barrier(Calls);
        var calls = Enumerable.Range(0, Calls).Select(_ => ToThread.RunAsync(pool, () => barrier.SignalAndWait(HangGuard), CancellationToken.None)).ToList();
        var met = await Task.WhenAll(calls).WaitAsync(HangGuard * 2);
        Assert.All(met, Assert.True);
        var stats = pool.GetStatistics();
        Assert.Equal((Calls, Calls, 0), (stats.Threads, stats.PeakBusy, stats.Queued));
    }

    [Fact]
    public async Task ToThread_calls_leave_no_registration_on_their_token()
    {
        var pool = new BlockingThreadPool(1, "test-leak");
        using var cts = new CancellationTokenSource();

        // Completed.
        Assert.Equal(1, await ToThread.RunAsync(pool, () => 1, cts.Token).WaitAsync(HangGuard));
        await Assert.ThrowsAsync<FormatException>(() => ToThread.RunAsync<int>(pool, () => throw new FormatException(), cts.Token).WaitAsync(HangGuard));
        Assert.Equal(0, TokenRegistrations.Count(cts));

        // Abandoned while running, and while queued behind it: both registrations go with the cancellation.
        using var release = new ManualResetEventSlim();
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var own = new CancellationTokenSource();
        var running = ToThread.RunAsync(
            pool,
            () =>
            {
                inside.SetResult();
                return release.Wait(HangGuard);
            },
            own.Token);
        var queued = ToThread.RunAsync(pool, () => true, own.Token);
        await inside.Task.WaitAsync(HangGuard);
        Assert.Equal(2, TokenRegistrations.Count(own));
#pragma warning disable VSTHRD103 // Cancel synchronously: both waits are abandoned inside Cancel.
        own.Cancel();
#pragma warning restore VSTHRD103
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.Equal(0, TokenRegistrations.Count(own));
        release.Set();
        Assert.True(await ToThread.RunAsync(pool, () => true, cts.Token).WaitAsync(HangGuard)); // the thread is free again
        Assert.Equal(0, TokenRegistrations.Count(cts));
    }

    [Fact]
    public async Task ToThread_passes_the_exception_and_cancellation_abandons_the_wait()
    {
        var error = await Assert.ThrowsAsync<FormatException>(() => ToThread.RunAsync<int>(() => throw new FormatException("bad")));
        Assert.Equal("bad", error.Message);

        using var release = new ManualResetEventSlim();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        var call = ToThread.RunAsync(
            () =>
            {
                inside.SetResult();
                release.Wait();
                finished.SetResult();
            },
            cts.Token);
        await inside.Task.WaitAsync(HangGuard);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.False(finished.Task.IsCompleted); // abandoned, not interrupted
        release.Set();
        await finished.Task.WaitAsync(HangGuard);
    }

    [Fact]
    public void ToThread_on_the_loop_resumes_on_the_loop_and_holds_off_autojump()
    {
        var clock = new VirtualClock { AutoJump = true };
        var loopThread = Environment.CurrentManagedThreadId;
        var (thread, seenAt) = AsyncLoop.Run(
            async () =>
            {
                // While the call runs off the loop, the loop is not idle: the 1 s timer must not fire.
                var timer = Task.Delay(TimeSpan.FromSeconds(1), clock);
                using var gate = new ManualResetEventSlim();
                var call = ToThread.RunAsync(() =>
                {
                    gate.Wait(HangGuard);
                    return clock.Elapsed;
                });
                await Task.Yield();
                await Task.Yield();
                gate.Set();
                var elapsedInside = await call;
                Assert.False(timer.IsCompleted);
                await timer;
                return (Environment.CurrentManagedThreadId, elapsedInside);
            },
            new AsyncLoopOptions { TimeProvider = clock });
        Assert.Equal(loopThread, thread);
        Assert.Equal(TimeSpan.Zero, seenAt);
    }

    [Fact]
    public void FromThread_runs_async_code_on_the_loop_from_a_blocking_thread()
    {
        var loopThread = Environment.CurrentManagedThreadId;
        var result = AsyncLoop.Run(async () =>
        {
            var loop = AsyncLoop.Current!;
            return await ToThread.RunAsync(() =>
            {
                // On a blocking thread: call back into the loop and wait for the answer.
                return FromThread.Run(loop, async () =>
                {
                    await Task.Yield();
                    return Environment.CurrentManagedThreadId;
                });
            });
        });
        Assert.Equal(loopThread, result);
    }

    [Fact]
    public void FromThread_rethrows_the_codes_exception_and_refuses_the_loop_thread()
    {
        AsyncLoop.Run(async () =>
        {
            var loop = AsyncLoop.Current!;
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => ToThread.RunAsync(() => FromThread.Run(loop, async () =>
            {
                await Task.Yield();
                throw new InvalidDataException("from the loop");
            })));
            Assert.Equal("from the loop", error.Message);

            var refused = Assert.Throws<InvalidOperationException>(() => FromThread.Run(loop, () => Task.CompletedTask));
            Assert.Contains("deadlock", refused.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void FromThread_with_a_cancelled_token_never_starts_the_code()
    {
        var started = false;
        AsyncLoop.Run(async () =>
        {
            var loop = AsyncLoop.Current!;
            using var cts = new CancellationTokenSource();
#pragma warning disable VSTHRD103 // Cancelled before the call: synchronous on purpose.
            cts.Cancel();
#pragma warning restore VSTHRD103
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ToThread.RunAsync(() => FromThread.Run(
                loop,
                () =>
                {
                    started = true;
                    return Task.FromResult(1);
                },
                cts.Token)));
        });
        Assert.False(started);
    }

    [Fact]
    public void FromThread_on_an_ended_loop_throws()
    {
        var loop = AsyncLoop.Run(() => Task.FromResult(AsyncLoop.Current!));
        Assert.Throws<InvalidOperationException>(() => FromThread.Run(loop, () => Task.CompletedTask));
    }
}
