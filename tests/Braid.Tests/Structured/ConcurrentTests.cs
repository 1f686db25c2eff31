using System.Runtime.CompilerServices;
using Braid.Loop;
using Braid.Structured;
using Braid.Testing;
using Braid.Tests.Shared;

namespace Braid.Tests.Structured;

public sealed class ConcurrentTests
{
    private static TaskCompletionSource Gate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource[] Gates(int n) => [.. Enumerable.Range(0, n).Select(_ => Gate())];

    [Fact]
    public async Task Gather_returns_results_in_input_order_whatever_the_completion_order()
    {
        var gates = Gates(4);
        var run = Concurrent.GatherAsync(Enumerable.Range(0, 4).Select(i => (Func<CancellationToken, Task<int>>)(async _ =>
        {
            await gates[i].Task;
            return i * 10;
        })));
        for (var i = 3; i >= 0; i--)
        {
            gates[i].SetResult();
        }

        Assert.Equal(new[] { 0, 10, 20, 30 }, await run);
    }

    [Fact]
    public async Task Gather_cancels_the_rest_on_the_first_failure_and_names_the_operation()
    {
        var cancelled = 0;
        Func<CancellationToken, Task<int>> waiter = async ct =>
        {
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return 0;
            }
            finally
            {
                Interlocked.Increment(ref cancelled);
            }
        };
        Func<CancellationToken, Task<int>> failing = async _ =>
        {
            await Task.Yield();
            throw new InvalidOperationException("nope");
        };

        var error = await Assert.ThrowsAsync<TaskGroupException>(() => Concurrent.GatherAsync([waiter, failing, waiter]));
        Assert.Equal(2, cancelled);
        Assert.Equal("nope", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(["#1"], error.ChildNames);
    }

    [Fact]
    public async Task GatherOutcomes_returns_failures_as_values_without_cancelling_the_rest()
    {
        var slow = Gate();
        var run = Concurrent.GatherOutcomesAsync<int>(
        [
            _ => Task.FromResult(1),
            _ => Task.FromException<int>(new InvalidOperationException("bad")),
            async ct =>
            {
                await slow.Task;
                Assert.False(ct.IsCancellationRequested);
                return 3;
            },
        ]);
        Assert.False(run.IsCompleted);
        slow.SetResult();
        var outcomes = await run;
        Assert.True(outcomes[0].IsSuccess);
        Assert.Equal(1, outcomes[0].Value);
        Assert.False(outcomes[1].IsSuccess);
        Assert.Equal("bad", outcomes[1].Exception!.Message);
        Assert.Throws<InvalidOperationException>(() => outcomes[1].Value);
        Assert.Equal(3, outcomes[2].Value);
    }

    [Fact]
    public async Task Race_returns_the_first_success_after_cancelling_and_awaiting_the_losers()
    {
        var losersFinished = 0;
        var winnerGate = Gate();
        Func<CancellationToken, Task<string>> loser = async ct =>
        {
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return "loser";
            }
            finally
            {
                await Task.Yield(); // Cleanup that takes a moment: the race must wait for it.
                Interlocked.Increment(ref losersFinished);
            }
        };
        Func<CancellationToken, Task<string>> failer = _ => Task.FromException<string>(new InvalidOperationException("failed racer"));
        var run = Concurrent.RaceAsync(
        [
            loser,
            failer,
            async _ =>
            {
                await winnerGate.Task;
                return "winner";
            },
            loser,
        ]);
        winnerGate.SetResult();
        Assert.Equal("winner", await run);
        Assert.Equal(2, losersFinished);
    }

    // Rule 4: failures are kept in the order they happened, here the order of the racers' virtual
    // deadlines; the two due at the same instant fail in start order (rule 30).
    [Fact]
    public void Race_reports_every_failure_in_the_order_it_happened_when_all_fail() => LoopTest.Run(async clock =>
    {
        int[] failAfterMs = [30, 10, 20, 10];
        var run = Concurrent.RaceAsync(failAfterMs.Select((ms, i) => (Func<CancellationToken, Task<int>>)(async ct =>
        {
            await clock.DelayAsync(TimeSpan.FromMilliseconds(ms), ct);
            throw new InvalidOperationException($"racer {i}");
        })));

        var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);
        Assert.Equal(["racer 1", "racer 3", "racer 2", "racer 0"], error.InnerExceptions.Select(e => e.Message));
        Assert.Equal(["#1", "#3", "#2", "#0"], error.ChildNames);
        Assert.Equal(TimeSpan.FromMilliseconds(30), clock.Elapsed); // the race waited for the last failure
    });

    [Fact]
    public async Task Race_with_nothing_to_race_is_a_clear_argument_error() =>
        await Assert.ThrowsAsync<ArgumentException>(() => Concurrent.RaceAsync(Array.Empty<Func<CancellationToken, Task<int>>>()));

    [Fact]
    public async Task MapAsync_returns_results_in_input_order_and_never_exceeds_the_limit()
    {
        var gates = Gates(10);
        var inFlight = 0;
        var maxSeen = 0;
        var run = Concurrent.MapAsync(Enumerable.Range(0, 10).ToList(), 3, async (i, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax.Raise(ref maxSeen, now);
            await gates[i].Task;
            Interlocked.Decrement(ref inFlight);
            return i * i;
        });

        Assert.Equal(3, Volatile.Read(ref inFlight)); // Workers started inline and all wait.
        for (var i = 9; i >= 0; i--)
        {
            gates[i].SetResult(); // Items not yet taken complete immediately when taken.
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * i), await run);
        Assert.Equal(3, maxSeen);
    }

    [Fact]
    public async Task MapAsync_over_a_lazy_sequence_of_unknown_length_keeps_order()
    {
        static IEnumerable<int> Lazy()
        {
            for (var i = 0; i < 1000; i++)
            {
                yield return i;
            }
        }

        var results = await Concurrent.MapAsync(Lazy(), 7, async (i, _) =>
        {
            if (i % 25 == 0)
            {
                await Task.Yield();
            }

            return i + 1;
        });
        Assert.Equal(Enumerable.Range(1, 1000), results);
    }

    [Fact]
    public async Task MapAsync_of_an_empty_source_is_empty() =>
        Assert.Empty(await Concurrent.MapAsync(Array.Empty<int>(), 4, (i, _) => ValueTask.FromResult(i)));

    [Fact]
    public async Task MapAsync_stops_taking_items_and_cancels_the_rest_on_the_first_failure()
    {
        var taken = 0;
        var cancelled = 0;
        IEnumerable<int> Source()
        {
            for (var i = 0; i < 100; i++)
            {
                Interlocked.Increment(ref taken);
                yield return i;
            }
        }

        var fail = Gate();
        var run = Concurrent.MapAsync(Source(), 4, async (i, ct) =>
        {
            if (i == 2)
            {
                await fail.Task;
                throw new InvalidOperationException("item 2");
            }

            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return i;
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }
        });
        Assert.Equal(4, taken); // Four workers, each holding one item.
        fail.SetResult();
        var error = await Assert.ThrowsAsync<TaskGroupException>(() => run);

        Assert.Equal("item 2", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(4, taken);
        Assert.Equal(3, cancelled);
    }

    [Fact]
    public async Task MapAsync_cancelled_from_outside_throws_after_everything_stopped()
    {
        using var cts = new CancellationTokenSource();
        var running = 0;
        var run = Concurrent.MapAsync(Enumerable.Range(0, 50), 5, async (i, ct) =>
        {
            Interlocked.Increment(ref running);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return i;
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }, cts.Token);
        Assert.Equal(5, running);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(0, running);
    }

    [Fact]
    public async Task MapAsync_over_an_async_source_keeps_order()
    {
        var results = await Concurrent.MapAsync(RangeAsync(0, 200), 8, async (i, _) =>
        {
            if (i % 2 == 0)
            {
                await Task.Yield();
            }

            return -i;
        });
        Assert.Equal(Enumerable.Range(0, 200).Select(i => -i), results);
    }

    [Fact]
    public async Task MapAsync_over_an_async_source_reports_a_failing_source()
    {
        static async IAsyncEnumerable<int> Broken()
        {
            yield return 1;
            await Task.Yield();
            throw new FormatException("source broke");
        }

        var error = await Assert.ThrowsAsync<TaskGroupException>(() => Concurrent.MapAsync(Broken(), 3, (i, _) => ValueTask.FromResult(i)));
        Assert.IsType<FormatException>(Assert.Single(error.InnerExceptions));
    }

    [Fact]
    public async Task MapUnordered_streams_results_in_completion_order()
    {
        var gates = Gates(3);
        var seen = new List<int>();
        var consume = Task.Run(async () =>
        {
            await foreach (var value in Concurrent.MapUnorderedAsync([0, 1, 2], 3, async (int i, CancellationToken _) =>
            {
                await gates[i].Task;
                return i;
            }))
            {
                lock (seen)
                {
                    seen.Add(value);
                }

                if (value == 2)
                {
                    gates[0].SetResult();
                }
                else if (value == 0)
                {
                    gates[1].SetResult();
                }
            }
        });
        gates[2].SetResult();
        await consume;
        Assert.Equal([2, 0, 1], seen);
    }

    [Fact]
    public async Task MapUnordered_stopped_early_cancels_and_awaits_the_rest()
    {
        var running = 0;
        var started = 0;
        await foreach (var value in Concurrent.MapUnorderedAsync(RangeAsync(0, 100), 4, async (int i, CancellationToken ct) =>
        {
            Interlocked.Increment(ref started);
            Interlocked.Increment(ref running);
            try
            {
                if (i != 0)
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                }

                return i;
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }))
        {
            Assert.Equal(0, value);
            break;
        }

        Assert.Equal(0, running);
        Assert.True(started <= 5, $"started {started}");
    }

    [Fact]
    public async Task MapUnordered_reports_failures_from_the_enumeration()
    {
        var error = await Assert.ThrowsAsync<TaskGroupException>(async () =>
        {
            await foreach (var _ in Concurrent.MapUnorderedAsync(Enumerable.Range(0, 10), 2, async (int i, CancellationToken _) =>
            {
                await Task.Yield();
                return i == 5 ? throw new InvalidOperationException("five") : i;
            }))
            {
            }
        });
        Assert.Equal("five", Assert.Single(error.InnerExceptions).Message);
    }

    [Fact]
    public async Task Gather_cancelled_from_outside_throws_after_every_operation_finished()
    {
        using var cts = new CancellationTokenSource();
        var finished = 0;
        Func<CancellationToken, Task<int>> waiter = async ct =>
        {
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return 0;
            }
            finally
            {
                Interlocked.Increment(ref finished);
            }
        };
        var run = Concurrent.GatherAsync([waiter, waiter, waiter], cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(3, finished);
    }

    [Fact]
    public async Task Race_cancelled_from_outside_throws_after_every_racer_finished()
    {
        using var cts = new CancellationTokenSource();
        var finished = 0;
        Func<CancellationToken, Task<int>> waiter = async ct =>
        {
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return 0;
            }
            finally
            {
                Interlocked.Increment(ref finished);
            }
        };
        var run = Concurrent.RaceAsync([waiter, waiter], cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(2, finished);
    }

    [Fact]
    public void MapAsync_runs_the_function_in_the_callers_single_threaded_context()
    {
        var (contextThread, threads, results) = AsyncLoop.Run(async () =>
        {
            var loopThread = Environment.CurrentManagedThreadId;
            var seen = new List<int>();
            var mapped = await Concurrent.MapAsync(Enumerable.Range(0, 20), 4, async (i, _) =>
            {
                seen.Add(Environment.CurrentManagedThreadId);
                await Task.Yield();
                seen.Add(Environment.CurrentManagedThreadId);
                return i * 3;
            });
            return (loopThread, seen, mapped);
        });

        Assert.Equal(40, threads.Count);
        Assert.All(threads, id => Assert.Equal(contextThread, id));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * 3), results);
    }

    [Fact]
    public async Task Map_rejects_bad_arguments_with_clear_messages()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Concurrent.MapAsync([1], 0, (int i, CancellationToken _) => ValueTask.FromResult(i)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Concurrent.MapAsync((IEnumerable<int>)null!, 1, (int i, CancellationToken _) => ValueTask.FromResult(i)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Concurrent.MapUnorderedAsync([1], -1, (int i, CancellationToken _) => ValueTask.FromResult(i)));
    }


    private static async IAsyncEnumerable<int> RangeAsync(int start, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = start; i < start + count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (i % 5 == 0)
            {
                await Task.Yield();
            }

            yield return i;
        }
    }
}
