using Braid.Tests.Shared;
namespace Braid.Pipelines.Tests;

/// <summary>
/// Batch, group-by and join take <see cref="StageOptions"/> like the other stages: a name in statistics
/// and failures, an input buffer of the given capacity, and a clear refusal of what one worker cannot do.
/// </summary>
public sealed class AccumulatorOptionsTests
{
    [Fact]
    public async Task Batch_group_by_and_join_take_their_names_from_the_options()
    {
        var statistics = await Pipeline.From(Enumerable.Range(0, 10))
            .Batch(3, options: new StageOptions { Name = "triples" })
            .FlatMap(batch => batch)
            .GroupBy(x => x % 2, options: new StageOptions { Name = "parity" })
            .Join(groups => groups, new StageOptions { Name = "gather" })
            .Join(async (groups, ct) =>
            {
                var count = 0;
                await foreach (var group in groups.WithCancellation(ct))
                {
                    count += group.Items.Count;
                }

                return count;
            }, new StageOptions { Name = "count" })
            .RunAsync(count => Assert.Equal(10, count));

        Assert.Equal(["source", "triples", "flat-map#2", "parity", "gather", "count"], statistics.Stages.Select(s => s.Name));
        Assert.Equal(4, statistics.Stages.Single(s => s.Name == "triples").ItemsOut);
        Assert.Equal(2, statistics.Stages.Single(s => s.Name == "parity").ItemsOut);
    }

    [Fact]
    public async Task A_failing_join_is_reported_under_its_name()
    {
        var failure = await Assert.ThrowsAsync<PipelineException>(() => Pipeline.From(new[] { 1, 2 })
            .Join<int>((_, _) => throw new InvalidOperationException("boom"), new StageOptions { Name = "sum" })
            .RunAsync());

        Assert.Equal("sum", Assert.Single(failure.Failures).Stage);
    }

    [Fact]
    public async Task The_capacity_bounds_the_stage_input()
    {
        // In flight: produced by the source, not yet seen by the join. With one-item transfers it is at
        // most the join's buffer (Capacity, rule 63), the source's pending transfer and the item the join
        // is reading. The join starts reading only once the source has filled that, so a larger buffer
        // (the old fixed 1024 items) would let the source run far ahead.
        const int capacity = 4;
        const int total = 200;
        long produced = 0;
        long consumed = 0;
        long peak = 0;
        var filled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        IEnumerable<int> Source()
        {
            for (var i = 0; i < total; i++)
            {
                var inFlight = Interlocked.Increment(ref produced) - Interlocked.Read(ref consumed);
                InterlockedMax.Raise(ref peak, inFlight);
                if (inFlight >= capacity + 1)
                {
                    filled.TrySetResult();
                }

                yield return i;
            }

            filled.TrySetResult();
        }

        async IAsyncEnumerable<int> SlowCount(IAsyncEnumerable<int> items)
        {
            await filled.Task;
            var count = 0;
            await foreach (var item in items)
            {
                Interlocked.Increment(ref consumed);
                count++;
                await Task.Yield();
            }

            yield return count;
        }

        var results = new List<int>();
        await Pipeline.From(Source(), new PipelineOptions { TransferBatchSize = 1 })
            .Join(SlowCount, new StageOptions { Capacity = capacity })
            .RunAsync(results.Add);

        Assert.Equal([total], results);
        Assert.InRange(Interlocked.Read(ref peak), capacity + 1, capacity + 2);
    }


    [Fact]
    public void What_one_worker_cannot_do_is_refused_when_the_stage_is_added()
    {
        var source = Pipeline.From(new[] { 1 });
        var workers = Assert.Throws<ArgumentException>(() => source.Batch(2, options: new StageOptions { Workers = 4 }));
        Assert.Equal("options", workers.ParamName);
        Assert.Contains("Workers = 4", workers.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => source.GroupBy(x => x, options: new StageOptions { Retry = new RetryPolicy() }));
        Assert.Throws<ArgumentException>(() => source.Join(x => x, new StageOptions { WorkerKind = WorkerKind.DedicatedThreads }));
        Assert.Throws<ArgumentException>(() => source.Join(x => x, new StageOptions { ErrorPolicy = ErrorPolicy.ContinueWithDeadLetters }));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Batch(2, options: new StageOptions { Capacity = 0 }));

        // The first form's capacity still works.
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Batch(2, null, 0));
        Assert.NotNull(source.Batch(2, null, 16));
    }
}
