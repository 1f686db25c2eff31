namespace Braid.Pipelines.Tests;

public sealed class FailureTests
{
    public static TheoryData<string, int, int> Places() => new()
    {
        { "source", 1, 1 },
        { "first", 8, 1 },
        { "middle", 8, 2 },
        { "last", 8, 1 },
        { "middle", 1, 64 },
    };

    [Theory]
    [MemberData(nameof(Places))]
    public async Task A_failure_anywhere_stops_every_stage_and_is_thrown(string where, int workers, int capacity)
    {
        // Bounded buffers and more workers than cores: the stages upstream of the failure are blocked on
        // full buffers and the ones downstream on empty ones; every one of them must stop.
        const int failAt = 500;
        var stage = new StageOptions { Workers = workers, Capacity = capacity };
        var options = new PipelineOptions { TransferBatchSize = 4, OutputCapacity = capacity };
        var builder = Pipeline.From(Source(where == "source"), options)
            .Map(x => Fail(where == "first", x), stage with { Name = "first" })
            .Map(x => Fail(where == "middle", x), stage with { Name = "middle" })
            .Map(x => Fail(where == "last", x), stage with { Name = "last" });

        await using var run = builder.Start();
        var error = await Assert.ThrowsAsync<PipelineException>(async () =>
        {
            await foreach (var x in run)
            {
                Assert.True(x < failAt);
            }
        }).WaitAsync(TestSupport.HangGuard);

        var failure = Assert.Single(error.Failures);
        Assert.Equal("boom", failure.Exception.Message);
        Assert.Equal(where, failure.Stage);
        Assert.Same(failure.Exception, Assert.Single(error.InnerExceptions));
        TestSupport.AssertStopped(run.GetStatistics());

        static IEnumerable<int> Source(bool fails)
        {
            for (var i = 0; i < 100_000; i++)
            {
                if (fails && i == failAt)
                {
                    throw new InvalidOperationException("boom");
                }

                yield return i;
            }
        }

        static int Fail(bool fails, int x) => fails && x == failAt ? throw new InvalidOperationException("boom") : x;
    }

    [Fact]
    public async Task A_failing_sink_stops_every_stage_and_is_named()
    {
        var error = await Assert.ThrowsAsync<PipelineException>(() =>
            Pipeline.From(Enumerable.Range(0, 100_000))
                .Map(x => x, new StageOptions { Workers = 4, Capacity = 2 })
                .RunAsync(x =>
                {
                    if (x == 300)
                    {
                        throw new InvalidOperationException("sink boom");
                    }
                })).WaitAsync(TestSupport.HangGuard);

        Assert.Equal("sink", Assert.Single(error.Failures).Stage);
    }

    [Fact]
    public async Task Every_failure_is_kept_in_order()
    {
        // Two workers are both inside the function when they fail: both failures must be reported.
        var arrived = 0;
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var error = await Assert.ThrowsAsync<PipelineException>(() =>
            Pipeline.From(new[] { 1, 2 }, new PipelineOptions { TransferBatchSize = 1 })
                .Map<int>(async (x, ct) =>
                {
                    if (Interlocked.Increment(ref arrived) == 2)
                    {
                        both.TrySetResult();
                    }

                    await both.Task.ConfigureAwait(false);
                    throw new InvalidOperationException($"boom {x}");
                }, new StageOptions { Workers = 2, Ordered = false })
                .RunAsync()).WaitAsync(TestSupport.HangGuard);

        Assert.Equal(2, error.Failures.Count);
        Assert.Equal(["boom 1", "boom 2"], error.InnerExceptions.Select(e => e.Message).Order());
        Assert.Equal(error.Failures.Select(f => f.Exception), error.InnerExceptions);
    }

    [Fact]
    public async Task A_failure_cancels_functions_that_are_waiting()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var error = await Assert.ThrowsAsync<PipelineException>(() =>
            Pipeline.From(Enumerable.Range(0, 10), new PipelineOptions { TransferBatchSize = 1 })
                .Map(async (x, ct) =>
                {
                    if (x == 0)
                    {
                        // Blocks until the run is cancelled by the failure downstream.
                        try
                        {
                            await Task.Delay(Timeout.Infinite, ct);
                        }
                        catch (OperationCanceledException)
                        {
                            cancelled.TrySetResult();
                            throw;
                        }
                    }

                    return x;
                }, new StageOptions { Workers = 2, Ordered = false })
                .Map(x => x == 1 ? throw new InvalidOperationException("downstream") : x)
                .RunAsync()).WaitAsync(TestSupport.HangGuard);

        Assert.Equal("downstream", Assert.Single(error.Failures).Exception.Message);
        Assert.True(cancelled.Task.IsCompleted);
    }
}
