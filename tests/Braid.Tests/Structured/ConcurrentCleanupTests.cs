using System.Collections;
using System.Collections.Concurrent;
using Braid.Structured;
using Braid.Testing;
using Braid.Tests.Shared;
using Braid.Time;

namespace Braid.Tests.Structured;

/// <summary>
/// The maps' sources are opened and disposed once per run, inside the run's group; every enumeration of
/// a streaming map is independent; stopping early stops at once, on the loop; and no combinator leaves a
/// registration on the caller's token. Each test runs off a loop and on an autojumping loop.
/// </summary>
public sealed class ConcurrentCleanupTests
{
    public static TheoryData<bool> OffAndOnLoop => new() { false, true };

    [Theory]
    [MemberData(nameof(OffAndOnLoop))]
    public Task MapUnordered_over_an_async_source_whose_dispose_throws_surfaces_the_failure_without_hanging(bool onLoop) => Both.Run(onLoop, async time =>
    {
        var source = new TrackedAsyncSource(5, disposeFailure: new InvalidOperationException("dispose broke"));
        var seen = new List<int>();
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => Both.Bounded(DrainAsync(Concurrent.MapUnorderedAsync(source, 2, (int i, CancellationToken _) => ValueTask.FromResult(i)), seen), time));

        Assert.Equal("dispose broke", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(["source"], error.ChildNames);
        Assert.Equal([0, 1, 2, 3, 4], seen.Order());
        Assert.Equal(1, source.Disposed);
    });

    [Theory]
    [MemberData(nameof(OffAndOnLoop))]
    public Task MapUnordered_stopped_early_over_an_async_source_whose_dispose_throws_throws_it_from_disposal(bool onLoop) => Both.Run(onLoop, async time =>
    {
        var source = new TrackedAsyncSource(100, disposeFailure: new InvalidOperationException("dispose broke"));
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => Both.Bounded(FirstAsync(Concurrent.MapUnorderedAsync(source, 2, (int i, CancellationToken _) => ValueTask.FromResult(i))), time));

        Assert.Equal("dispose broke", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(1, source.Disposed);
    });

    [Theory]
    [MemberData(nameof(OffAndOnLoop))]
    public Task MapUnordered_over_a_sequence_disposes_its_enumerator_whether_it_completes_fails_or_stops_early(bool onLoop) => Both.Run(onLoop, async time =>
    {
        var completed = new TrackedSource(10);
        Assert.Equal(10, (await Both.Bounded(DrainAsync(Concurrent.MapUnorderedAsync(completed, 3, YieldAsync(fail: -1)), []), time)).Count);

        var failed = new TrackedSource(10);
        await Assert.ThrowsAsync<TaskGroupException>(() => Both.Bounded(DrainAsync(Concurrent.MapUnorderedAsync(failed, 3, YieldAsync(fail: 4)), []), time));

        var stopped = new TrackedSource(1000);
        await Both.Bounded(FirstAsync(Concurrent.MapUnorderedAsync(stopped, 3, YieldAsync(fail: -1))), time);

        Assert.All(new[] { completed, failed, stopped }, s => Assert.Equal((1, 1), (s.Opened, s.Disposed)));
    });

    [Theory]
    [MemberData(nameof(OffAndOnLoop))]
    public Task MapUnordered_enumerated_twice_at_once_runs_two_independent_enumerations(bool onLoop) => Both.Run(onLoop, async time =>
    {
        var source = new TrackedAsyncSource(20);
        var results = Concurrent.MapUnorderedAsync(source, 3, YieldAsync(fail: -1));
        var both = await Both.Bounded(Task.WhenAll(DrainAsync(results, []), DrainAsync(results, [])), time);

        Assert.Equal(Enumerable.Range(0, 20), both[0].Order());
        Assert.Equal(Enumerable.Range(0, 20), both[1].Order());
        Assert.Equal((2, 2, 1), (source.Opened, source.Disposed, source.MostDisposalsOfOne));
    });

    [Fact]
    public void MapUnordered_stopped_early_on_an_autojumping_loop_cancels_on_the_loop_and_starts_nothing_more() => LoopTest.Run(async clock =>
    {
        var loopThread = Environment.CurrentManagedThreadId;
        var cancelledOn = new ConcurrentQueue<int>();
        var started = 0;
        var startedAtBreak = -1;
        await foreach (var value in Concurrent.MapUnorderedAsync(Enumerable.Range(0, 100), 2, async (int i, CancellationToken ct) =>
        {
            started++;
            ct.Register(() => cancelledOn.Enqueue(Environment.CurrentManagedThreadId));
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), clock, ct);
            }

            return i;
        }))
        {
            Assert.Equal(0, value);
            startedAtBreak = started;
            break;
        }

        // Everything stopped at the break: on the loop (where the loop sees it), before the clock moved, and
        // no worker took another item.
        Assert.Equal(TimeSpan.Zero, clock.Elapsed);
        Assert.Equal(startedAtBreak, started);
        Assert.NotEmpty(cancelledOn);
        Assert.All(cancelledOn, thread => Assert.Equal(loopThread, thread));
    });

    [Fact]
    public void MapAsync_over_an_async_source_with_workers_waiting_for_it_keeps_the_autojumping_clock_still() => LoopTest.Run(async clock =>
    {
        // Two workers share the source: one reads, the other waits for its turn. That wait used to hop
        // through the thread pool (SemaphoreSlim with a token), the loop looked idle, and the clock jumped
        // to the only timer: the bound below.
        var results = await Concurrent.MapAsync(new TrackedAsyncSource(5), 2, YieldAsync(fail: -1)).WaitAsync(TimeSpan.FromHours(1), clock);

        Assert.Equal([0, 1, 2, 3, 4], results);
        Assert.Equal(TimeSpan.Zero, clock.Elapsed);
    });

    [Theory]
    [MemberData(nameof(OffAndOnLoop))]
    public Task MapAsync_over_an_async_source_whose_dispose_throws_reports_it_with_the_other_failures(bool onLoop) => Both.Run(onLoop, async time =>
    {
        var alone = new TrackedAsyncSource(5, disposeFailure: new InvalidOperationException("dispose broke"));
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => Both.Bounded(Concurrent.MapAsync(alone, 2, YieldAsync(fail: -1)), time));
        Assert.Equal("dispose broke", Assert.Single(error.InnerExceptions).Message);

        var withFailure = new TrackedAsyncSource(5, disposeFailure: new InvalidOperationException("dispose broke"));
        error = await Assert.ThrowsAsync<TaskGroupException>(() => Both.Bounded(Concurrent.MapAsync(withFailure, 2, YieldAsync(fail: 2)), time));
        Assert.Equal(["item 2 failed", "dispose broke"], error.InnerExceptions.Select(e => e.Message));
        Assert.Equal((1, 1), (withFailure.Opened, withFailure.Disposed));
    });

    [Theory]
    [MemberData(nameof(OffAndOnLoop))]
    public Task MapAsync_over_a_sequence_whose_dispose_throws_reports_it_with_the_other_failures(bool onLoop) => Both.Run(onLoop, async time =>
    {
        var source = new TrackedSource(5, disposeFailure: new InvalidOperationException("dispose broke"));
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => Both.Bounded(Concurrent.MapAsync(source, 2, YieldAsync(fail: 2)), time));

        Assert.Equal(["item 2 failed", "dispose broke"], error.InnerExceptions.Select(e => e.Message));
        Assert.Equal((1, 1), (source.Opened, source.Disposed));
    });

    [Theory]
    [MemberData(nameof(OffAndOnLoop))]
    public Task MapAsync_disposes_an_empty_sequence(bool onLoop) => Both.Run(onLoop, async time =>
    {
        var source = new TrackedSource(0);
        Assert.Empty(await Both.Bounded(Concurrent.MapAsync(source, 4, YieldAsync(fail: -1)), time));
        Assert.Equal((1, 1), (source.Opened, source.Disposed));
    });

    [Theory]
    [MemberData(nameof(OffAndOnLoop))]
    public Task Combinators_leave_no_registration_on_the_callers_token(bool onLoop) => Both.Run(onLoop, async time =>
    {
        using var cts = new CancellationTokenSource();
        var baseline = TokenRegistrations.Count(cts);
        var ct = cts.Token;
        Func<CancellationToken, Task<int>> ok = async _ =>
        {
            await Task.Yield();
            return 1;
        };
        Func<CancellationToken, Task<int>> bad = async _ =>
        {
            await Task.Yield();
            throw new InvalidOperationException("bad");
        };

        // Completed, failed.
        await Concurrent.GatherAsync([ok, ok], ct);
        await Assert.ThrowsAsync<TaskGroupException>(() => Concurrent.GatherAsync([ok, bad], ct));
        await Concurrent.GatherOutcomesAsync([ok, bad], ct);
        await Concurrent.RaceAsync([ok, bad], ct);
        await Assert.ThrowsAsync<TaskGroupException>(() => Concurrent.RaceAsync([bad, bad], ct));
        await Concurrent.MapAsync(Enumerable.Range(0, 10), 3, YieldAsync(fail: -1), ct);
        await Assert.ThrowsAsync<TaskGroupException>(() => Concurrent.MapAsync(new TrackedAsyncSource(10), 3, YieldAsync(fail: 4), ct));
        await DrainAsync(Concurrent.MapUnorderedAsync(Enumerable.Range(0, 10), 3, YieldAsync(fail: -1), ct), []);
        await Assert.ThrowsAsync<TaskGroupException>(() => DrainAsync(Concurrent.MapUnorderedAsync(new TrackedAsyncSource(10), 3, YieldAsync(fail: 4), ct), []));

        // Stopped early, with a second token from WithCancellation (a linked source of its own).
        using (var other = new CancellationTokenSource())
        {
            await FirstAsync(Concurrent.MapUnorderedAsync(Enumerable.Range(0, 100), 3, YieldAsync(fail: -1), ct), other.Token);
            Assert.Equal(0, TokenRegistrations.Count(other));
        }

        // Cancelled by something else than the caller's token: an enclosing scope, or WithCancellation's token.
        await CancelScope.RunAsync(async scope =>
        {
            var map = Concurrent.MapAsync(Enumerable.Range(0, 10), 3, WaitForeverAsync(time), ct);
            var gather = Concurrent.GatherAsync([c => WaitForeverAsync(time)(0, c).AsTask()], ct);
            scope.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => map);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gather);
        });
        using (var other = new CancellationTokenSource())
        {
            var drain = DrainAsync(Concurrent.MapUnorderedAsync(Enumerable.Range(0, 10), 3, WaitForeverAsync(time), ct), [], other.Token);
            await other.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Both.Bounded(drain, time));
        }

        Assert.Equal(baseline, TokenRegistrations.Count(cts));
    });

    private static Func<int, CancellationToken, ValueTask<int>> YieldAsync(int fail) => async (i, _) =>
    {
        await Task.Yield();
        return i == fail ? throw new InvalidOperationException($"item {i} failed") : i;
    };

    private static Func<int, CancellationToken, ValueTask<int>> WaitForeverAsync(TimeProvider time) => async (i, ct) =>
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, time, ct);
        return i;
    };

    private static async Task<List<int>> DrainAsync(IAsyncEnumerable<int> source, List<int> into, CancellationToken cancellationToken = default)
    {
        await foreach (var value in source.WithCancellation(cancellationToken))
        {
            into.Add(value);
        }

        return into;
    }

    private static async Task<int> FirstAsync(IAsyncEnumerable<int> source, CancellationToken cancellationToken = default)
    {
        await foreach (var value in source.WithCancellation(cancellationToken))
        {
            return value;
        }

        return -1;
    }

    /// <summary>Runs a test body off a loop (on the system clock) or on an autojumping loop (on its virtual clock).</summary>
    private static class Both
    {
        public static Task Run(bool onLoop, Func<TimeProvider, Task> body)
        {
            if (!onLoop)
            {
                return body(TimeProvider.System);
            }

            LoopTest.Run(clock => body(clock));
            return Task.CompletedTask;
        }

        /// <summary>
        /// Fails a wait that hangs instead of hanging the test run. On a loop the bound is virtual time, reached
        /// at once when the loop goes idle; off a loop it is real time, reached only by a failing test.
        /// </summary>
        public static Task<T> Bounded<T>(Task<T> task, TimeProvider time) =>
            task.WaitAsync(time is VirtualClock ? TimeSpan.FromHours(1) : TimeSpan.FromSeconds(30), time);
    }

    /// <summary>A sequence that counts its enumerators opened and disposed; disposal can throw.</summary>
    private sealed class TrackedSource(int count, Exception? disposeFailure = null) : IEnumerable<int>
    {
        private readonly Exception? _disposeFailure = disposeFailure;
        private int _opened;
        private int _disposed;

        public int Opened => Volatile.Read(ref _opened);

        public int Disposed => Volatile.Read(ref _disposed);

        public IEnumerator<int> GetEnumerator()
        {
            Interlocked.Increment(ref _opened);
            return new Enumerator(this, count);
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed class Enumerator(TrackedSource owner, int count) : IEnumerator<int>
        {
            public int Current { get; private set; } = -1;

            object IEnumerator.Current => Current;

            public bool MoveNext() => ++Current < count;

            public void Reset() => throw new NotSupportedException();

            public void Dispose()
            {
                Interlocked.Increment(ref owner._disposed);
                if (owner._disposeFailure is not null)
                {
                    throw owner._disposeFailure;
                }
            }
        }
    }

    /// <summary>An asynchronous sequence that yields before each item and counts its enumerators opened and disposed.</summary>
    private sealed class TrackedAsyncSource(int count, Exception? disposeFailure = null) : IAsyncEnumerable<int>
    {
        private readonly Exception? _disposeFailure = disposeFailure;
        private int _opened;
        private int _disposed;
        private int _mostDisposalsOfOne;

        public int Opened => Volatile.Read(ref _opened);

        public int Disposed => Volatile.Read(ref _disposed);

        public int MostDisposalsOfOne => Volatile.Read(ref _mostDisposalsOfOne);

        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _opened);
            return new Enumerator(this, count, cancellationToken);
        }

        private sealed class Enumerator(TrackedAsyncSource owner, int count, CancellationToken cancellationToken) : IAsyncEnumerator<int>
        {
            private int _disposals;

            public int Current { get; private set; } = -1;

            public async ValueTask<bool> MoveNextAsync()
            {
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                return ++Current < count;
            }

            public ValueTask DisposeAsync()
            {
                Interlocked.Increment(ref owner._disposed);
                var mine = Interlocked.Increment(ref _disposals);
                int most;
                while (mine > (most = Volatile.Read(ref owner._mostDisposalsOfOne)) && Interlocked.CompareExchange(ref owner._mostDisposalsOfOne, mine, most) != most)
                {
                }

                return owner._disposeFailure is null ? ValueTask.CompletedTask : ValueTask.FromException(owner._disposeFailure);
            }
        }
    }
}
