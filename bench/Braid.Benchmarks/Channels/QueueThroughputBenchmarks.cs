using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Braid.Channels;

namespace Braid.Benchmarks.Channels;

/// <summary>
/// One producer, one consumer, 100,000 items through a bounded buffer of 1,024: <see cref="AsyncQueue{T}"/>
/// and Braid's memory channel against a bounded <see cref="Channel{T}"/> (the baseline of each category),
/// with a per-item await and with a drain loop. Figures are per item.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class QueueThroughputBenchmarks
{
    private const int Items = 100_000;
    private const int Capacity = 1_024;

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("PerItemAwait")]
    public async Task Channel_PerItem()
    {
        var channel = Channel.CreateBounded<int>(Capacity);
        var consumer = Task.Run(async () =>
        {
            for (var i = 0; i < Items; i++)
            {
                await channel.Reader.ReadAsync();
            }
        });
        for (var i = 0; i < Items; i++)
        {
            await channel.Writer.WriteAsync(i);
        }

        await consumer;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("PerItemAwait")]
    public async Task AsyncQueue_PerItem()
    {
        var queue = new AsyncQueue<int>(Capacity);
        var consumer = Task.Run(async () =>
        {
            for (var i = 0; i < Items; i++)
            {
                await queue.GetAsync();
            }
        });
        for (var i = 0; i < Items; i++)
        {
            await queue.PutAsync(i);
        }

        await consumer;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("PerItemAwait")]
    public async Task MemoryChannel_PerItem()
    {
        var (send, receive) = MemoryChannel.Create<int>(Capacity);
        var consumer = Task.Run(async () =>
        {
            for (var i = 0; i < Items; i++)
            {
                await receive.ReceiveAsync();
            }
        });
        for (var i = 0; i < Items; i++)
        {
            await send.SendAsync(i);
        }

        await consumer;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    [BenchmarkCategory("DrainLoop")]
    public async Task Channel_Drain()
    {
        var channel = Channel.CreateBounded<int>(Capacity);
        var consumer = Task.Run(async () =>
        {
            var count = 0;
            while (count < Items && await channel.Reader.WaitToReadAsync())
            {
                while (channel.Reader.TryRead(out _))
                {
                    count++;
                }
            }
        });
        for (var i = 0; i < Items; i++)
        {
            if (!channel.Writer.TryWrite(i))
            {
                await channel.Writer.WriteAsync(i);
            }
        }

        await consumer;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("DrainLoop")]
    public async Task AsyncQueue_Drain()
    {
        var queue = new AsyncQueue<int>(Capacity);
        var consumer = Task.Run(async () =>
        {
            var count = 0;
            while (count < Items)
            {
                while (queue.TryGet(out _))
                {
                    count++;
                }

                if (count < Items)
                {
                    await queue.GetAsync();
                    count++;
                }
            }
        });
        for (var i = 0; i < Items; i++)
        {
            if (!queue.TryPut(i))
            {
                await queue.PutAsync(i);
            }
        }

        await consumer;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    [BenchmarkCategory("DrainLoop")]
    public async Task MemoryChannel_Drain()
    {
        var (send, receive) = MemoryChannel.Create<int>(Capacity);
        var consumer = Task.Run(async () =>
        {
            var count = 0;
            while (count < Items)
            {
                while (receive.TryReceive(out _))
                {
                    count++;
                }

                if (count < Items)
                {
                    await receive.ReceiveAsync();
                    count++;
                }
            }
        });
        for (var i = 0; i < Items; i++)
        {
            if (!send.TrySend(i))
            {
                await send.SendAsync(i);
            }
        }

        await consumer;
    }
}
