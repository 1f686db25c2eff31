using Braid.Loop;

namespace Braid.Tests.Loop;

public sealed class AsyncLoopTests
{
    [Fact]
    public void Steps_run_in_FIFO_order_on_the_calling_thread()
    {
        var thread = Environment.CurrentManagedThreadId;
        var order = new List<int>();
        var threads = new HashSet<int>();
        AsyncLoop.Run(async () =>
        {
            var tasks = Enumerable.Range(0, 5).Select(async i =>
            {
                for (var round = 0; round < 3; round++)
                {
                    await Task.Yield();
                    order.Add((round * 10) + i);
                    threads.Add(Environment.CurrentManagedThreadId);
                }
            }).ToList();
            await Task.WhenAll(tasks);
        });

        // Round-robin: every task's first step, then every second step, in the order they yielded.
        Assert.Equal([0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24], order);
        Assert.Equal([thread], threads);
    }

    [Fact]
    public void Run_returns_the_entry_points_result()
    {
        var result = AsyncLoop.Run(async () =>
        {
            await Task.Yield();
            return 42;
        });
        Assert.Equal(42, result);
    }

    [Fact]
    public void The_entry_points_exception_surfaces_from_Run()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => AsyncLoop.Run(async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("boom", ex.Message);

        var sync = Assert.Throws<ArgumentException>(() => AsyncLoop.Run(() => throw new ArgumentException("early")));
        Assert.Equal("early", sync.Message);
    }

    [Fact]
    public void Continuations_that_leave_the_loop_still_complete_and_the_loop_keeps_pumping()
    {
        var loopThread = Environment.CurrentManagedThreadId;
        var result = AsyncLoop.Run(async () =>
        {
            // Completed from a pool thread only after this await is registered: the continuation,
            // and so the end of the entry point, run off the loop.
            var offLoop = new TaskCompletionSource<int>();
            _ = CompleteFromThePoolAsync(offLoop);
            var value = await offLoop.Task.ConfigureAwait(false);
            Assert.NotEqual(loopThread, Environment.CurrentManagedThreadId);
            return value;
        });
        Assert.NotEqual(loopThread, result);

        var back = AsyncLoop.Run(async () =>
        {
            await Task.Run(() => { }); // resumes on the loop
            return Environment.CurrentManagedThreadId;
        });
        Assert.Equal(loopThread, back);
    }

    private static async Task CompleteFromThePoolAsync(TaskCompletionSource<int> source)
    {
        await Task.Yield(); // runs after the entry point has started awaiting
        ThreadPool.QueueUserWorkItem(_ => source.SetResult(Environment.CurrentManagedThreadId));
    }

    [Fact]
    public void Nested_Run_runs_an_inner_loop_and_restores_the_outer_one()
    {
        var log = new List<string>();
        var before = SynchronizationContext.Current;
        AsyncLoop.Run(async () =>
        {
            var outer = AsyncLoop.Current;
            var sibling = Task.Run(() => { }).ContinueWith(_ => { }, TaskScheduler.Default);
            await Task.Yield();
            var inner = AsyncLoop.Run(async () =>
            {
                Assert.NotSame(outer, AsyncLoop.Current);
                await Task.Yield();
                log.Add("inner");
                return AsyncLoop.Current!.Id;
            });
            Assert.Same(outer, AsyncLoop.Current);
            Assert.NotEqual(outer!.Id, inner);
            await Task.Yield();
            log.Add("outer");
            await sibling;
        });
        Assert.Equal(["inner", "outer"], log);
        Assert.Null(AsyncLoop.Current);
        Assert.Same(before, SynchronizationContext.Current);
    }

    [Fact]
    public async Task Works_on_a_thread_pool_thread()
    {
        var (onPool, sameThread) = await Task.Run(() => AsyncLoop.Run(async () =>
        {
            var before = Environment.CurrentManagedThreadId;
            await Task.Run(() => { });
            return (Thread.CurrentThread.IsThreadPoolThread, before == Environment.CurrentManagedThreadId);
        }));
        Assert.True(onPool);
        Assert.True(sameThread);
    }

    [Fact]
    public void Statistics_count_steps_and_peak_queue()
    {
        var stats = AsyncLoop.Run(async () =>
        {
            var tasks = Enumerable.Range(0, 10).Select(async _ => await Task.Yield()).ToList();
            await Task.WhenAll(tasks);
            return AsyncLoop.Current!.GetStatistics();
        });
        // Ten yields are ten steps; the snapshot is taken inside the tenth, so nine have finished.
        Assert.Equal(9, stats.StepsRun);
        Assert.Equal(10, stats.PeakQueueLength);
        Assert.True(stats.LongestStep >= TimeSpan.Zero);
    }

    [Fact]
    public async Task Work_posted_after_the_loop_ended_still_runs()
    {
        var gate = new TaskCompletionSource();
        Task? straggler = null;
        AsyncLoop.Run(() =>
        {
            straggler = Straggler(gate.Task);
            return Task.CompletedTask;
        });
        gate.SetResult();
        await straggler!.WaitAsync(TimeSpan.FromSeconds(30));

        static async Task Straggler(Task gate)
        {
            await gate;
            await Task.Yield();
        }
    }

    [Fact]
    public void Queue_grows_beyond_its_initial_size_and_keeps_order()
    {
        var order = new List<int>();
        AsyncLoop.Run(async () =>
        {
            var tasks = Enumerable.Range(0, 1000).Select(async i =>
            {
                await Task.Yield();
                order.Add(i);
            }).ToList();
            await Task.WhenAll(tasks);
        });
        Assert.Equal(Enumerable.Range(0, 1000), order);
    }
}
