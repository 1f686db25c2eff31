using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Braid.Pipelines.Tests;

/// <summary>Batching and grouping deadlines, retries and rate limits, all on a manual clock: no test sleeps.</summary>
public sealed class TimeTests
{
    [Fact]
    public async Task Batch_flushes_by_size_then_by_time_then_at_the_end()
    {
        var clock = new ManualClock();
        var input = Channel.CreateUnbounded<int>();
        foreach (var x in new[] { 1, 2, 3, 4, 5 })
        {
            input.Writer.TryWrite(x);
        }

        await using var run = Pipeline.From(input.Reader.ReadAllAsync(), new PipelineOptions { TimeProvider = clock })
            .Batch(4, TimeSpan.FromSeconds(1))
            .Start();
        await using var results = run.GetAsyncEnumerator();

        Assert.True(await results.MoveNextAsync());
        Assert.Equal([1, 2, 3, 4], results.Current);

        // Item 5 waits in a partial batch: the stage arms a timer for its deadline, and only time releases it.
        var next = results.MoveNextAsync();
        await clock.WaitForTimersScheduledAsync(1);
        Assert.False(next.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(next.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await next);
        Assert.Equal([5], results.Current);

        input.Writer.TryWrite(6);
        input.Writer.Complete();
        Assert.True(await results.MoveNextAsync());
        Assert.Equal([6], results.Current);
        Assert.False(await results.MoveNextAsync());
    }

    [Fact]
    public async Task Group_by_flushes_by_size_by_eviction_and_at_the_end()
    {
        var words = new[] { "apple", "avocado", "banana", "apricot", "blueberry", "cherry", "date", "almond", "beet" };
        var groups = await Pipeline.From(words)
            .GroupBy(w => w[0], maxGroupSize: 2, maxOpenGroups: 2)
            .Map(g => $"{g.Key}:{string.Join(',', g.Items)}")
            .CollectAsync();

        // a and b fill up (size); date, almond and beet each evict the oldest open group; the end
        // flushes what is left, oldest first.
        Assert.Equal(
            ["a:apple,avocado", "b:banana,blueberry", "a:apricot", "c:cherry", "d:date", "a:almond", "b:beet"],
            groups);
    }

    [Fact]
    public async Task Group_by_flushes_a_group_that_stays_open_too_long()
    {
        var clock = new ManualClock();
        var input = Channel.CreateUnbounded<string>();
        input.Writer.TryWrite("ant");
        input.Writer.TryWrite("bee");
        input.Writer.TryWrite("asp");
        await using var run = Pipeline.From(input.Reader.ReadAllAsync(), new PipelineOptions { TimeProvider = clock })
            .GroupBy(w => w[0], maxGroupSize: 10, maxAge: TimeSpan.FromSeconds(5))
            .Start();
        await using var results = run.GetAsyncEnumerator();

        var next = results.MoveNextAsync();
        await clock.WaitForTimersScheduledAsync(1);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await next);
        Assert.Equal('a', results.Current.Key);
        Assert.Equal(["ant", "asp"], results.Current.Items);
        Assert.True(await results.MoveNextAsync());
        Assert.Equal(["bee"], results.Current.Items);

        input.Writer.TryWrite("cat");
        input.Writer.Complete();
        Assert.True(await results.MoveNextAsync());
        Assert.Equal(["cat"], results.Current.Items);
        Assert.False(await results.MoveNextAsync());
    }

    [Fact]
    public async Task An_item_is_retried_with_backoff_on_the_pipeline_clock()
    {
        var clock = new ManualClock();
        var attempts = 0;
        var retry = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(1), BackoffFactor = 2 };
        await using var run = Pipeline.From(new[] { 7 }, new PipelineOptions { TimeProvider = clock })
            .Map(x => ++attempts < 3 ? throw new InvalidOperationException("flaky") : x * 10, new StageOptions { Retry = retry, Name = "flaky" })
            .Start();
        await using var results = run.GetAsyncEnumerator();
        var next = results.MoveNextAsync();

        await clock.WaitForTimersScheduledAsync(1);
        Assert.Equal(1, attempts);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(1, attempts);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        await clock.WaitForTimersScheduledAsync(2);
        Assert.Equal(2, attempts);
        clock.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(next.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(await next);
        Assert.Equal(70, results.Current);
        Assert.Equal(3, attempts);
        Assert.Equal(2, run.GetStatistics().Stages.Single(s => s.Name == "flaky").Retries);
    }

    [Fact]
    public async Task An_item_that_fails_every_retry_goes_to_the_dead_letters()
    {
        var clock = new ManualClock();
        var retry = new RetryPolicy { MaxAttempts = 2, InitialDelay = TimeSpan.FromSeconds(1) };
        var options = new PipelineOptions { TimeProvider = clock, ErrorPolicy = ErrorPolicy.ContinueWithDeadLetters };
        await using var run = Pipeline.From(new[] { 1, 2, 3 }, options)
            .Map(x => x == 2 ? throw new InvalidOperationException("always") : x, new StageOptions { Retry = retry, Name = "m" })
            .Start();
        var collect = run.CollectAsync();
        await clock.WaitForTimersScheduledAsync(1);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal([1, 3], await collect.WaitAsync(TestSupport.HangGuard));
        var letter = Assert.Single(run.DeadLetters);
        Assert.Equal(("m", 2, 2, "always"), (letter.Stage, (int)letter.Item!, letter.Attempts, letter.Exception.Message));
        Assert.Equal(1, run.GetStatistics().Stages.Single(s => s.Name == "m").ItemsFailed);
    }

    [Fact]
    public async Task Retries_stop_at_exceptions_the_policy_does_not_retry()
    {
        var calls = 0;
        var retry = new RetryPolicy { MaxAttempts = 5, ShouldRetry = e => e is TimeoutException };
        var error = await Assert.ThrowsAsync<PipelineException>(() => Pipeline.From(new[] { 1 })
            .Map<int>(_ =>
            {
                calls++;
                throw new ArgumentException("not transient");
            }, new StageOptions { Retry = retry })
            .RunAsync());
        Assert.Equal(1, calls);
        Assert.IsType<ArgumentException>(Assert.Single(error.InnerExceptions));
    }

    [Fact]
    public async Task A_rate_limit_lets_a_burst_through_then_one_item_per_interval()
    {
        var clock = new ManualClock();
        var calls = 0;

        // One worker: it is then the only source of timers and the steps below wait for each one. With
        // two, a step could be satisfied by the other worker's timer and time moved on while a woken
        // worker had not reserved yet; its late reservation needed no wait, so the expected timer never
        // came (seen once in CI as a 30 s hang at the timer wait).
        await using var run = Pipeline.From(Enumerable.Range(0, 6), new PipelineOptions { TimeProvider = clock })
            .Map(x =>
            {
                Interlocked.Increment(ref calls);
                return x;
            }, new StageOptions { RateLimit = new RateLimit(2, TimeSpan.FromSeconds(1)), Workers = 1, Ordered = false })
            .Start();
        var collect = run.CollectAsync();

        // Two permits per second: a burst of two, then one every 500 ms. Each wait arms a timer first.
        await clock.WaitForTimersScheduledAsync(1);
        Assert.Equal(2, Volatile.Read(ref calls));
        for (var step = 0; step < 4; step++)
        {
            await clock.WaitForTimersScheduledAsync(step + 1);
            clock.Advance(TimeSpan.FromMilliseconds(499));
            Assert.True(Volatile.Read(ref calls) <= 2 + step, $"at most {2 + step} calls after {step} intervals");
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(Enumerable.Range(0, 6), (await collect.WaitAsync(TestSupport.HangGuard)).Order());
        Assert.Equal(6, calls);
    }

    [Theory]
    [InlineData(false, 3000)]
    [InlineData(true, 3000)]
    [InlineData(false, 1000)]
    public async Task A_rate_limit_shared_by_several_workers_never_lets_more_than_the_burst_plus_one_per_interval(bool ordered, int periodMilliseconds)
    {
        // A burst of 3, then one item per interval, shared by 4 workers: 3 permits per period, so the
        // interval is 1 s (a 3 s period) or 333.3 ms (a 1 s period: no whole number of milliseconds).
        // The bucket starts with the run, at time zero: by any instant t, at most
        // 3 + floor(t / interval) items may have passed the limit.
        const int burst = 3;
        const int workers = 4;
        const int items = 24;
        var period = TimeSpan.FromMilliseconds(periodMilliseconds);
        var clock = new ManualClock();
        var passed = 0;
        var violations = new ConcurrentQueue<string>();

        await using var run = Pipeline.From(Enumerable.Range(0, items), new PipelineOptions { TimeProvider = clock })
            .Map(x =>
            {
                // Counted first, the clock read second: every item counted so far had passed by then.
                var count = Interlocked.Increment(ref passed);
                var now = clock.GetTimestamp();
                if (count > Allowed(now))
                {
                    violations.Enqueue($"{count} items passed by {TimeSpan.FromTicks(now)}");
                }

                return x;
            }, new StageOptions { RateLimit = new RateLimit(burst, period), Workers = workers, Ordered = ordered, Name = "limited" })
            .Start();
        var collect = run.CollectAsync();

        // Time moves only when some worker waits on it, and then only to the earliest armed timer. Each
        // timer is one reservation of one item and each jump fires at least one, so a run that loses
        // no item is done within `items` jumps. Nothing waits for a particular number of timers: which
        // worker reserves when, and whether its reservation needs a timer at all, is left to the race.
        for (var jump = 0; jump <= items && !collect.IsCompleted; jump++)
        {
            await Task.WhenAny(clock.WaitForArmedTimerAsync(), collect).WaitAsync(TestSupport.HangGuard);
            AssertWithinLimit();
            clock.AdvanceToNextTimer();
            AssertWithinLimit();
        }

        var results = await collect.WaitAsync(TestSupport.HangGuard);
        AssertWithinLimit();
        Assert.Empty(violations);
        Assert.Equal(Enumerable.Range(0, items), ordered ? results : results.Order());
        Assert.Equal(items, passed);
        Assert.Equal(items, run.GetStatistics().Stages.Single(s => s.Name == "limited").ItemsOut);

        long Allowed(long now) => burst + (now * burst / period.Ticks);

        void AssertWithinLimit()
        {
            // Only this thread moves the clock, so reading the count first makes the check exact.
            var count = Volatile.Read(ref passed);
            var now = clock.GetTimestamp();
            Assert.True(count <= Allowed(now), $"{count} items passed by {TimeSpan.FromTicks(now)}, at most {Allowed(now)} allowed");
        }
    }
}
