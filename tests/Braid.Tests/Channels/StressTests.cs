using Braid.Channels;
using Xunit.Abstractions;

namespace Braid.Tests.Channels;

/// <summary>
/// Many producers and consumers with random cancellation racing the hand-offs. Bounded (10,000 items
/// per run); every run prints its seed (replay with BRAID_SEED=N). The totals must balance exactly:
/// every item received exactly once, nothing lost, nothing duplicated.
/// </summary>
public sealed class StressTests(ITestOutputHelper output)
{
    private const int Producers = 4;
    private const int Consumers = 4;
    private const int ItemsPerProducer = 2_500;
    private const int Total = Producers * ItemsPerProducer;

    public static TheoryData<string, int> Queues => new()
    {
        { "fifo", 1 },
        { "fifo", 4 },
        { "fifo", int.MaxValue },
        { "lifo", 3 },
        { "lifo", int.MaxValue },
        { "priority", 2 },
        { "priority", int.MaxValue },
    };

    [Theory]
    [MemberData(nameof(Queues))]
    public async Task Queue_producers_and_consumers_with_random_cancellation_lose_and_duplicate_nothing(string kind, int capacity)
    {
        var seed = Seed();
        ITestQueue q = kind switch
        {
            "fifo" => new FifoTestQueue(new AsyncQueue<int>(capacity)),
            "lifo" => new LifoTestQueue(new AsyncLifoQueue<int>(capacity)),
            _ => new PriorityTestQueue(new AsyncPriorityQueue<int, int>(capacity)),
        };
        var seen = new int[Total];
        var cancelledPuts = 0;
        var cancelledGets = 0;

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var rng = new Random(seed + p);
            for (var i = 0; i < ItemsPerProducer; i++)
            {
                var item = (p * ItemsPerProducer) + i;
                while (true)
                {
                    if (rng.Next(8) == 0 && q.TryPut(item))
                    {
                        break;
                    }

                    using var cts = rng.Next(3) == 0 ? new CancellationTokenSource() : null;
                    var pending = q.PutAsync(item, cts?.Token ?? default).AsTask();
                    await CancelSometimes(cts, rng);
                    try
                    {
                        await pending;
                        break;
                    }
                    catch (OperationCanceledException)
                    {
                        Interlocked.Increment(ref cancelledPuts);
                    }
                }
            }
        })).ToArray();

        var consumers = Enumerable.Range(0, Consumers).Select(c => Task.Run(async () =>
        {
            var rng = new Random(seed + 1000 + c);
            while (true)
            {
                if (rng.Next(8) == 0)
                {
                    try
                    {
                        if (q.TryGet(out var now))
                        {
                            Interlocked.Increment(ref seen[now]);
                            q.TaskDone();
                        }
                    }
                    catch (QueueShutDownException)
                    {
                        return;
                    }

                    continue;
                }

                using var cts = rng.Next(3) == 0 ? new CancellationTokenSource() : null;
                var pending = q.GetAsync(cts?.Token ?? default).AsTask();
                await CancelSometimes(cts, rng);
                try
                {
                    var item = await pending;
                    Interlocked.Increment(ref seen[item]);
                    q.TaskDone();
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelledGets);
                }
                catch (QueueShutDownException)
                {
                    return;
                }
            }
        })).ToArray();

        await Task.WhenAll(producers).Within();
        await q.JoinAsync().Within();
        Assert.Empty(q.Shutdown());
        await Task.WhenAll(consumers).Within();

        output.WriteLine($"{kind}/{capacity}: cancelled puts {cancelledPuts}, cancelled gets {cancelledGets}");
        AssertExactlyOnce(seen);
        var stats = q.GetStatistics();
        Assert.Equal((Total, Total, 0L, 0, 0, 0), (stats.TotalPut, stats.TotalTaken, stats.UnfinishedTasks, stats.Count, stats.GettersWaiting, stats.PuttersWaiting));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(MemoryChannel.Unbounded)]
    public async Task Channel_clones_with_random_cancellation_lose_and_duplicate_nothing(int capacity)
    {
        var seed = Seed();
        var (send, receive) = MemoryChannel.Create<int>(capacity);
        var sends = Enumerable.Range(0, Producers).Select(_ => send.Clone()).ToArray();
        var receives = Enumerable.Range(0, Consumers).Select(_ => receive.Clone()).ToArray();
        send.Close();
        receive.Close();
        var seen = new int[Total];
        var cancelled = 0;

        var producers = sends.Select((mine, p) => Task.Run(async () =>
        {
            using var _ = mine;
            var rng = new Random(seed + p);
            for (var i = 0; i < ItemsPerProducer; i++)
            {
                var item = (p * ItemsPerProducer) + i;
                while (true)
                {
                    if (rng.Next(8) == 0 && mine.TrySend(item))
                    {
                        break;
                    }

                    using var cts = rng.Next(3) == 0 ? new CancellationTokenSource() : null;
                    var pending = mine.SendAsync(item, cts?.Token ?? default).AsTask();
                    await CancelSometimes(cts, rng);
                    try
                    {
                        await pending;
                        break;
                    }
                    catch (OperationCanceledException)
                    {
                        Interlocked.Increment(ref cancelled);
                    }
                }
            }
        })).ToArray();

        var consumers = receives.Select((mine, c) => Task.Run(async () =>
        {
            using var _ = mine;
            var rng = new Random(seed + 1000 + c);
            while (true)
            {
                using var cts = rng.Next(3) == 0 ? new CancellationTokenSource() : null;
                var pending = mine.ReceiveAsync(cts?.Token ?? default).AsTask();
                await CancelSometimes(cts, rng);
                try
                {
                    Interlocked.Increment(ref seen[await pending]);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                }
                catch (EndOfChannelException)
                {
                    return;
                }
            }
        })).ToArray();

        await Task.WhenAll(producers.Concat(consumers)).Within();

        output.WriteLine($"capacity {capacity}: cancelled operations {cancelled}");
        AssertExactlyOnce(seen);
        var stats = receive.GetStatistics();
        Assert.Equal(new MemoryChannelStatistics(0, capacity, stats.PeakBufferUsed, 0, 0, 0, 0), stats);
        Assert.InRange(stats.PeakBufferUsed, 0, Math.Min(capacity, Total));
    }

    // Cancels right away (racing a hand-off on another thread), after a yield, or not at all.
    private static async Task CancelSometimes(CancellationTokenSource? cts, Random rng)
    {
        if (cts is null)
        {
            return;
        }

        switch (rng.Next(3))
        {
            case 0:
                await cts.CancelAsync();
                break;
            case 1:
                await Task.Yield();
                await cts.CancelAsync();
                break;
        }
    }

    private static void AssertExactlyOnce(int[] seen)
    {
        var lost = seen.Count(n => n == 0);
        var duplicated = seen.Count(n => n > 1);
        Assert.True(lost == 0 && duplicated == 0, $"{lost} item(s) lost, {duplicated} duplicated");
    }

    private int Seed()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("BRAID_SEED");
        var seed = fromEnvironment is null ? Random.Shared.Next(1, int.MaxValue / 2) : int.Parse(fromEnvironment, System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine($"seed {seed} (replay with BRAID_SEED={seed})");
        return seed;
    }
}
