namespace Braid.Pipelines.Tests;

public sealed class EarlyStopTests
{
    [Fact]
    public async Task Breaking_out_stops_every_stage_and_leaves_no_task_running()
    {
        var sourceDisposed = false;
        var run = Pipeline.From(TestSupport.Infinite(onDispose: () => sourceDisposed = true))
            .Map(x => x + 1, new StageOptions { Workers = 4, Capacity = 4 })
            .Filter(x => x % 2 == 0, new StageOptions { Workers = 3 })
            .Start();
        var taken = new List<int>();
        await using (run)
        {
            await foreach (var x in run)
            {
                taken.Add(x);
                if (taken.Count == 5)
                {
                    break;
                }
            }
        }

        Assert.Equal([2, 4, 6, 8, 10], taken);
        Assert.True(sourceDisposed, "the source's enumerator was disposed");
        TestSupport.AssertStopped(run.GetStatistics());
    }

    [Fact]
    public async Task Taking_the_first_items_with_linq_stops_every_stage()
    {
        var inside = 0;
        var sourceDisposed = false;
        var first = await Pipeline.From(TestSupport.Infinite(onDispose: () => sourceDisposed = true))
            .Map(async (x, ct) =>
            {
                Interlocked.Increment(ref inside);
                try
                {
                    if (x >= 3)
                    {
                        // Never returns on its own: must be cancelled when the consumer leaves.
                        await Task.Delay(Timeout.Infinite, ct);
                    }

                    return x;
                }
                finally
                {
                    Interlocked.Decrement(ref inside);
                }
            }, new StageOptions { Workers = 8, Ordered = false })
            .Take(3)
            .ToListAsync()
            .AsTask()
            .WaitAsync(TestSupport.HangGuard);

        Assert.Equal([0, 1, 2], first.Order());
        Assert.Equal(0, Volatile.Read(ref inside));
        Assert.True(sourceDisposed);
    }

    [Fact]
    public async Task Cancelling_the_token_stops_every_stage_and_throws_cancellation()
    {
        using var cts = new CancellationTokenSource();
        var run = Pipeline.From(TestSupport.Infinite())
            .Map(x => x, new StageOptions { Workers = 2, Capacity = 2 })
            .Start(cts.Token);
        var count = 0;
        await using (run)
        {
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var x in run)
                {
                    if (++count == 100)
                    {
                        await cts.CancelAsync();
                    }
                }
            }).WaitAsync(TestSupport.HangGuard);
            Assert.Equal(cts.Token, error.CancellationToken);
        }

        TestSupport.AssertStopped(run.GetStatistics());
    }

    [Fact]
    public async Task Cancelling_while_a_slow_consumer_waits_throws_cancellation_from_RunAsync()
    {
        using var cts = new CancellationTokenSource();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Pipeline.From(TestSupport.Infinite())
            .Map(x => x, new StageOptions { Capacity = 1 })
            .RunAsync(async (x, ct) =>
            {
                gate.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }, cts.Token);
        await gate.Task;
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TestSupport.HangGuard));
    }

    [Fact]
    public async Task A_failure_seen_only_after_the_consumer_left_is_thrown_by_disposal()
    {
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Pipeline.From(Enumerable.Range(0, 1000), new PipelineOptions { TransferBatchSize = 1 })
            .Map(x =>
            {
                if (x == 1)
                {
                    failed.TrySetResult();
                    throw new InvalidOperationException("late");
                }

                return x;
            }, new StageOptions { Workers = 1 })
            .Start();
        var enumerator = run.GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());
        await failed.Task;
        var error = await Assert.ThrowsAsync<PipelineException>(() => enumerator.DisposeAsync().AsTask());
        Assert.Equal("late", Assert.Single(error.Failures).Exception.Message);
    }

    [Fact]
    public async Task A_join_that_returns_early_stops_its_upstream()
    {
        var sourceDisposed = false;
        var results = await Pipeline.From(TestSupport.Infinite(onDispose: () => sourceDisposed = true))
            .Map(x => x * 2, new StageOptions { Workers = 2, Capacity = 4 })
            .Join(FirstThree)
            .CollectAsync()
            .WaitAsync(TestSupport.HangGuard);

        Assert.Equal([0, 2, 4], results);
        Assert.True(sourceDisposed);

        static async IAsyncEnumerable<int> FirstThree(IAsyncEnumerable<int> items)
        {
            var n = 0;
            await foreach (var x in items)
            {
                yield return x;
                if (++n == 3)
                {
                    yield break;
                }
            }
        }
    }
}
