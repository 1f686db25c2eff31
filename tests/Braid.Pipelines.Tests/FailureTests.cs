using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_sink_that_fails_mid_batch_under_continue_sees_every_item_in_order_and_dead_letters_each_failure(bool synchronousSink)
    {
        // A synchronous sink is given the rest of each transferred batch in one loop (rule 106), an
        // asynchronous one item by item: both see every item once, in order, and each failure is a
        // dead letter of the stage "sink" holding its item, wherever in a batch it falls.
        var seen = new List<int>();
        var letters = new List<DeadLetter>();
        var options = new PipelineOptions { ErrorPolicy = ErrorPolicy.ContinueWithDeadLetters, TransferBatchSize = 16, OnDeadLetter = letters.Add };
        var mapped = Pipeline.From(Enumerable.Range(0, 1000), options).Map(x => x, new StageOptions { Capacity = 64 });
        var statistics = synchronousSink
            ? await mapped.RunAsync(Sink).WaitAsync(TestSupport.HangGuard)
            : await mapped.RunAsync((x, _) =>
            {
                Sink(x);
                return default;
            }).WaitAsync(TestSupport.HangGuard);

        Assert.Equal(Enumerable.Range(0, 1000), seen);
        var failing = Enumerable.Range(0, 1000).Where(Fails).ToArray();
        Assert.Equal(failing, letters.Select(l => (int)l.Item!));
        Assert.All(letters, l => Assert.Equal(("sink", 1, $"sink {l.Item}"), (l.Stage, l.Attempts, l.Exception.Message)));
        Assert.Equal(failing.Length, statistics.DeadLetters);

        // First, middle and last items of 16-item batches, and two in a row.
        static bool Fails(int x) => x % 16 is 0 or 7 or 15 || x is 500 or 501;

        void Sink(int x)
        {
            seen.Add(x);
            if (Fails(x))
            {
                throw new InvalidOperationException($"sink {x}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_filter_that_fails_mid_batch_under_continue_keeps_the_rest_in_order_and_dead_letters_each_failure(int workers)
    {
        // The filter's per-item loop (FilterRun, rule 106) stops at a failed item, the item is recovered
        // (here: dead-lettered) and the loop goes on from the next one, in the middle of a batch.
        var letters = new List<DeadLetter>();
        var options = new PipelineOptions { ErrorPolicy = ErrorPolicy.ContinueWithDeadLetters, TransferBatchSize = 16, OnDeadLetter = l => { lock (letters) { letters.Add(l); } } };
        var kept = await Pipeline.From(Enumerable.Range(0, 1000), options)
            .Filter(x => Fails(x) ? throw new InvalidOperationException($"filter {x}") : x % 3 != 0, new StageOptions { Name = "sieve", Workers = workers })
            .CollectAsync()
            .WaitAsync(TestSupport.HangGuard);

        Assert.Equal(Enumerable.Range(0, 1000).Where(x => !Fails(x) && x % 3 != 0), kept);
        Assert.Equal(Enumerable.Range(0, 1000).Where(Fails), letters.Select(l => (int)l.Item!).Order());
        Assert.All(letters, l => Assert.Equal(("sieve", $"filter {l.Item}"), (l.Stage, l.Exception.Message)));

        // First, middle and last items of 16-item batches, and two in a row.
        static bool Fails(int x) => x % 16 is 0 or 7 or 15 || x is 500 or 501;
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failure_while_the_source_sends_before_a_pending_read_lets_the_read_end_and_keeps_every_failure(bool readFails)
    {
        // Batches of 2 and a buffer of one batch: the map holds [0, 1] (blocked on 0), the buffer holds
        // [2, 3], and the source, about to wait for its sixth read, first sends [4], which waits for
        // room. The map then fails: the send is cancelled while the read is still in flight. The read
        // ends only once the stage waits for it (a source slow to notice the stop, the order that
        // matters): disposing the compiler-generated iterator before that throws NotSupportedException,
        // which must not replace the map's failure nor leave the read unobserved. A read that then
        // fails with something other than the stop is a second failure, recorded after the map's.
        var mapEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failMap = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sourceWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readEndedByStop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var source = new PendingReadProbe(Items(default), probedRead: 6, onAwaited: () => releaseRead.TrySetResult());
        var builder = Pipeline.From(source, new PipelineOptions { TransferBatchSize = 2 })
            .Map<int>(async (x, ct) =>
            {
                if (x == 0)
                {
                    mapEntered.TrySetResult();
                    await failMap.Task.ConfigureAwait(false);
                    throw new InvalidOperationException("map boom");
                }

                return x;
            }, new StageOptions { Name = "map", Capacity = 2 });

        await using var run = builder.Start();
        try
        {
            var consuming = run.CollectAsync();
            await Task.WhenAll(mapEntered.Task, sourceWaiting.Task).WaitAsync(TestSupport.HangGuard);
            failMap.SetResult();
            var error = await Assert.ThrowsAsync<PipelineException>(() => consuming).WaitAsync(TestSupport.HangGuard);

            (string, string)[] expected = readFails ? [("map", "map boom"), ("source", "read boom")] : [("map", "map boom")];
            Assert.Equal(expected, error.Failures.Select(f => (f.Stage, f.Exception.Message)));
            Assert.DoesNotContain(error.InnerExceptions, e => e is NotSupportedException);
            Assert.True(source.ReadObserved, "the stage took the pending read's result");
            Assert.True(source.InnerRead is { IsCompleted: true }, "the pending read ended");
            Assert.True(readEndedByStop.Task.IsCompleted, "the source's code after its wait ran before the run returned");
            Assert.True(await readEndedByStop.Task, "the read ended because the run stopped");
            Assert.True(source.Disposed, "the enumerator was disposed after its read ended");
            TestSupport.AssertStopped(run.GetStatistics());
        }
        finally
        {
            // Before the fix the read is abandoned: end it so that it does not outlive the test.
            releaseRead.TrySetResult();
        }

        async IAsyncEnumerable<int> Items([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < 5; i++)
            {
                yield return i;
            }

            sourceWaiting.SetResult();
            await releaseRead.Task.ConfigureAwait(false);
            readEndedByStop.SetResult(cancellationToken.IsCancellationRequested);
            if (readFails)
            {
                throw new InvalidOperationException("read boom");
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return 5;
        }
    }

    public static TheoryData<bool, bool, int> StreamedFailures() => new()
    {
        { false, true, 1 },
        { false, true, 3 },
        { true, true, 1 },
        { true, true, 3 },
        { false, false, 1 },
        { true, false, 3 },
    };

    [Theory]
    [MemberData(nameof(StreamedFailures))]
    public async Task A_flat_map_whose_sequence_fails_fails_fast_and_counts_the_item_once(bool asyncSequence, bool partWay, int workers)
    {
        // No retry and no dead letters: the outputs are streamed as they come, so a sequence that fails
        // part-way has already produced some of its items. Failing at the call is the ordinary case.
        var stage = new StageOptions { Name = "explode", Workers = workers };
        var builder = Pipeline.From(Enumerable.Range(0, 10), new PipelineOptions { TransferBatchSize = 2 });
        var exploded = asyncSequence
            ? builder.FlatMap((x, ct) => x == FailAt && !partWay ? throw new InvalidOperationException($"bad item {x}") : OutputsAsync(x, ct), stage)
            : builder.FlatMap(x => x == FailAt && !partWay ? throw new InvalidOperationException($"bad item {x}") : Outputs(x), stage);

        await using var run = exploded.Start();
        var error = await Assert.ThrowsAsync<PipelineException>(async () =>
        {
            await foreach (var _ in run)
            {
            }
        }).WaitAsync(TestSupport.HangGuard);

        var failure = Assert.Single(error.Failures);
        Assert.Equal(("explode", partWay ? $"bad sequence {FailAt}" : $"bad item {FailAt}"), (failure.Stage, failure.Exception.Message));
        Assert.Equal(1, run.GetStatistics().Stages.Single(s => s.Name == "explode").ItemsFailed);
        Assert.Empty(run.DeadLetters);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task A_flat_map_whose_sequence_fails_part_way_under_continue_dead_letters_the_item_once(bool asyncSequence, bool perStage)
    {
        // The policy set for the pipeline or for the stage alone: either way the stage continues, and
        // the failed item's outputs are sent all or not at all — here not at all.
        var policy = new PipelineOptions { ErrorPolicy = ErrorPolicy.ContinueWithDeadLetters };
        var stage = new StageOptions { Name = "explode", Workers = 2 };
        var builder = perStage
            ? Pipeline.From(Enumerable.Range(0, 10), new PipelineOptions { TransferBatchSize = 2 })
            : Pipeline.From(Enumerable.Range(0, 10), policy with { TransferBatchSize = 2 });
        stage = perStage ? stage with { ErrorPolicy = ErrorPolicy.ContinueWithDeadLetters } : stage;
        var exploded = asyncSequence ? builder.FlatMap(OutputsAsync, stage) : builder.FlatMap(Outputs, stage);

        await using var run = exploded.Start();
        var results = await run.CollectAsync().WaitAsync(TestSupport.HangGuard);

        Assert.Equal(Enumerable.Range(0, 10).Where(x => x != FailAt).SelectMany(x => new[] { x * 10, (x * 10) + 1, (x * 10) + 2 }), results);
        var letter = Assert.Single(run.DeadLetters);
        Assert.Equal(("explode", FailAt, 1, $"bad sequence {FailAt}"), (letter.Stage, (int)letter.Item!, letter.Attempts, letter.Exception.Message));
        Assert.Equal(1, run.GetStatistics().Stages.Single(s => s.Name == "explode").ItemsFailed);
    }

    private const int FailAt = 5;

    /// <summary>Three outputs per item, produced lazily; item <see cref="FailAt"/> fails after two of them.</summary>
    private static IEnumerable<int> Outputs(int x)
    {
        yield return x * 10;
        yield return (x * 10) + 1;
        if (x == FailAt)
        {
            throw new InvalidOperationException($"bad sequence {x}");
        }

        yield return (x * 10) + 2;
    }

    /// <summary>The same outputs as <see cref="Outputs"/>, streamed asynchronously.</summary>
    private static async IAsyncEnumerable<int> OutputsAsync(int x, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var output in Outputs(x))
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return output;
        }
    }

    /// <summary>
    /// Wraps a source and hands out its read number <c>probedRead</c> through a probe: the probe tells
    /// the test when the stage waits for that read (<c>onAwaited</c>) and whether it took its result.
    /// The wrapped source's own enumerator (a compiler-generated one) is disposed when this one is.
    /// </summary>
    private sealed class PendingReadProbe(IAsyncEnumerable<int> source, int probedRead, Action onAwaited)
        : IAsyncEnumerable<int>, IAsyncEnumerator<int>, IValueTaskSource<bool>
    {
        private IAsyncEnumerator<int>? _inner;
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
        private int _reads;

        public int Current => _inner!.Current;

        /// <summary>The wrapped source's probed read, once it was made.</summary>
        public Task? InnerRead { get; private set; }

        public bool ReadObserved { get; private set; }

        public bool Disposed { get; private set; }

        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            _inner = source.GetAsyncEnumerator(cancellationToken);
            return this;
        }

        public ValueTask<bool> MoveNextAsync()
        {
            var read = _inner!.MoveNextAsync();
            if (++_reads != probedRead)
            {
                return read;
            }

            InnerRead = ForwardAsync(read);
            return new ValueTask<bool>(this, _core.Version);
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return _inner!.DisposeAsync();
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            _core.OnCompleted(continuation, state, token, flags);
            onAwaited();
        }

        public bool GetResult(short token)
        {
            ReadObserved = true;
            return _core.GetResult(token);
        }

        private async Task ForwardAsync(ValueTask<bool> read)
        {
            try
            {
                _core.SetResult(await read.ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                _core.SetException(ex);
            }
        }
    }
}
