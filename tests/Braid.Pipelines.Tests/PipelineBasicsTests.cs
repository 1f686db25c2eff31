using System.Collections.Concurrent;

namespace Braid.Pipelines.Tests;

public sealed class PipelineBasicsTests
{
    [Fact]
    public async Task Map_filter_and_flat_map_compose_in_order()
    {
        var results = await Pipeline.From(Enumerable.Range(1, 1000))
            .Map(x => x * 2)
            .Filter(x => x % 3 != 0)
            .FlatMap(x => new[] { x, -x })
            .CollectAsync();

        var expected = Enumerable.Range(1, 1000).Select(x => x * 2).Where(x => x % 3 != 0).SelectMany(x => new[] { x, -x });
        Assert.Equal(expected, results);
    }

    [Fact]
    public async Task Async_map_and_async_flat_map_with_a_function_source()
    {
        var next = 0;
        var source = Pipeline.From(_ =>
        {
            var n = Interlocked.Increment(ref next);
            return ValueTask.FromResult((n <= 200, n));
        });

        var results = await source
            .Map(async (x, ct) =>
            {
                if (x % 5 == 0)
                {
                    await Task.Yield();
                }

                return x + 1;
            }, new StageOptions { Workers = 4 })
            .FlatMap(Repeat, new StageOptions { Workers = 3 })
            .CollectAsync();

        Assert.Equal(Enumerable.Range(2, 200).SelectMany(x => Enumerable.Repeat(x, x % 3)), results);

        static async IAsyncEnumerable<int> Repeat(int x, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            for (var i = 0; i < x % 3; i++)
            {
                await Task.Yield();
                yield return x;
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 64)]
    [InlineData(8, 7)]
    [InlineData(16, 1)]
    public async Task Ordered_stages_keep_input_order_with_many_workers(int workers, int batch)
    {
        var random = new Random(workers * 31 + batch);
        var delays = Enumerable.Range(0, 3000).Select(_ => random.Next(4)).ToArray();
        var options = new PipelineOptions { TransferBatchSize = batch };
        var results = await Pipeline.From(Enumerable.Range(0, 3000), options)
            .Map(async (x, ct) =>
            {
                for (var i = 0; i < delays[x]; i++)
                {
                    await Task.Yield();
                }

                return x;
            }, new StageOptions { Workers = workers, Capacity = 16 })
            .FlatMap(x => x % 10 == 0 ? new[] { x } : new[] { x, x }, new StageOptions { Workers = workers })
            .Map(x => x, new StageOptions { Workers = workers })
            .CollectAsync();

        Assert.Equal(Enumerable.Range(0, 3000).SelectMany(x => x % 10 == 0 ? new[] { x } : new[] { x, x }), results);
    }

    [Fact]
    public async Task Unordered_stages_lose_nothing_and_duplicate_nothing()
    {
        var unordered = new StageOptions { Workers = 6, Ordered = false, Capacity = 8 };
        var results = await Pipeline.From(Enumerable.Range(0, 20_000), new PipelineOptions { TransferBatchSize = 5 })
            .Map(async (x, ct) =>
            {
                if (x % 7 == 0)
                {
                    await Task.Yield();
                }

                return x;
            }, unordered)
            .Filter(_ => true, unordered)
            .CollectAsync();

        results.Sort();
        Assert.Equal(Enumerable.Range(0, 20_000), results);
    }

    [Fact]
    public async Task Join_consumes_the_whole_stream()
    {
        var total = await Pipeline.From(Enumerable.Range(1, 100))
            .Map(x => (long)x, new StageOptions { Workers = 3 })
            .Join(async (items, ct) =>
            {
                long sum = 0;
                await foreach (var x in items.WithCancellation(ct))
                {
                    sum += x;
                }

                return sum;
            })
            .CollectAsync();

        Assert.Equal([5050L], total);

        var sorted = await Pipeline.From(new[] { 3, 1, 2 })
            .Join(items => SortAsync(items))
            .CollectAsync();
        Assert.Equal([1, 2, 3], sorted);

        static async IAsyncEnumerable<int> SortAsync(IAsyncEnumerable<int> items)
        {
            var all = new List<int>();
            await foreach (var x in items)
            {
                all.Add(x);
            }

            all.Sort();
            foreach (var x in all)
            {
                yield return x;
            }
        }
    }

    [Fact]
    public async Task RunAsync_with_a_sink_delivers_every_result_in_order_and_reports_statistics()
    {
        var seen = new List<int>();
        var statistics = await Pipeline.From(Enumerable.Range(0, 500))
            .Map(x => x + 1, new StageOptions { Name = "inc", Workers = 2 })
            .RunAsync(seen.Add);

        Assert.Equal(Enumerable.Range(1, 500), seen);
        TestSupport.AssertStopped(statistics);
        var inc = Assert.Single(statistics.Stages, s => s.Name == "inc");
        Assert.Equal(500, inc.ItemsIn);
        Assert.Equal(500, inc.ItemsOut);
        Assert.Equal(0, inc.QueueDepth);
        Assert.Equal(500, statistics.Stages[0].ItemsOut);
    }

    [Fact]
    public async Task A_builder_runs_again_from_scratch()
    {
        var builder = Pipeline.From(Enumerable.Range(0, 10)).Map(x => x * x);
        Assert.Equal(await builder.CollectAsync(), await builder.CollectAsync());
    }

    [Fact]
    public async Task A_run_is_enumerated_once()
    {
        await using var run = Pipeline.From(new[] { 1 }).Start();
        await using var first = run.GetAsyncEnumerator();
        Assert.Throws<InvalidOperationException>(() => run.GetAsyncEnumerator());
    }

    [Fact]
    public void Invalid_options_throw_when_the_stage_is_added()
    {
        var source = Pipeline.From(new[] { 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Map(x => x, new StageOptions { Workers = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Map(x => x, new StageOptions { Capacity = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Batch(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.GroupBy(x => x, maxOpenGroups: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pipeline.From(new[] { 1 }, new PipelineOptions { TransferBatchSize = 0 }));
    }

    [Fact]
    public async Task Workers_are_never_capped_by_the_number_of_cores()
    {
        // 32 workers must all be inside the function at once: each waits for all the others.
        const int workers = 32;
        var arrived = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var results = await Pipeline.From(Enumerable.Range(0, workers), new PipelineOptions { TransferBatchSize = 1 })
            .Map(async (x, ct) =>
            {
                if (Interlocked.Increment(ref arrived) == workers)
                {
                    all.TrySetResult();
                }

                await all.Task.WaitAsync(ct);
                return x;
            }, new StageOptions { Workers = workers, Capacity = 1 })
            .CollectAsync().WaitAsync(TestSupport.HangGuard);

        Assert.Equal(Enumerable.Range(0, workers), results);
    }

    [Fact]
    public async Task Dedicated_thread_workers_run_every_call_and_continuation_on_their_own_threads()
    {
        var threads = new ConcurrentDictionary<int, bool>();
        var results = await Pipeline.From(Enumerable.Range(0, 300), new PipelineOptions { TransferBatchSize = 4 })
            .Map(async (x, ct) =>
            {
                var before = Environment.CurrentManagedThreadId;
                threads[before] = Thread.CurrentThread.IsThreadPoolThread;
                await Task.Yield();
                Assert.Equal(before, Environment.CurrentManagedThreadId);
                return x;
            }, new StageOptions { Workers = 3, WorkerKind = WorkerKind.DedicatedThreads })
            .CollectAsync();

        Assert.Equal(Enumerable.Range(0, 300), results);
        Assert.InRange(threads.Count, 1, 3);
        Assert.All(threads.Values, isPool => Assert.False(isPool));
    }

    [Fact]
    public async Task A_few_slow_items_are_spread_over_every_worker()
    {
        // Eight items, eight workers: all eight must be inside the function at once, although the
        // source hands them over in a single transfer.
        const int workers = 8;
        var arrived = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var results = await Pipeline.From(Enumerable.Range(0, workers))
            .Map(async (x, ct) =>
            {
                if (Interlocked.Increment(ref arrived) == workers)
                {
                    all.TrySetResult();
                }

                await all.Task.WaitAsync(ct);
                return x;
            }, new StageOptions { Workers = workers })
            .CollectAsync().WaitAsync(TestSupport.HangGuard);

        Assert.Equal(Enumerable.Range(0, workers), results);
    }
}
