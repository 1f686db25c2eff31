using BenchmarkDotNet.Attributes;
using Braid.Loop;

namespace Braid.Benchmarks.Loop;

/// <summary>
/// The loop's throughput: the cost of one step. Each operation is one step (OperationsPerInvoke), so
/// steps per second = 1e9 / Mean(ns). The anchor is the same yield on the thread pool.
/// </summary>
[MemoryDiagnoser]
public class LoopThroughputBenchmarks
{
    private const int Steps = 100_000;

    private static readonly SendOrPostCallback Count = static s => ((Counter)s!).Value++;

    /// <summary>The anchor: <c>await Task.Yield()</c> on the thread pool.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Steps)]
    public async Task ThreadPool_Yield()
    {
        await Task.Run(async () =>
        {
            for (var i = 0; i < Steps; i++)
            {
                await Task.Yield();
            }
        });
    }

    /// <summary><c>await Task.Yield()</c> on the loop: one post, one step.</summary>
    [Benchmark(OperationsPerInvoke = Steps)]
    public void AsyncLoop_Yield() => AsyncLoop.Run(async () =>
    {
        for (var i = 0; i < Steps; i++)
        {
            await Task.Yield();
        }
    });

    /// <summary>Raw steps: a callback posted straight to the loop's context, no async machinery.</summary>
    [Benchmark(OperationsPerInvoke = Steps)]
    public int AsyncLoop_Post() => AsyncLoop.Run(async () =>
    {
        var counter = new Counter();
        var context = SynchronizationContext.Current!;
        for (var i = 0; i < Steps; i++)
        {
#pragma warning disable VSTHRD001 // Posting to the loop's context is what is measured.
            context.Post(Count, counter);
#pragma warning restore VSTHRD001
        }

        await Task.Yield(); // queued behind every post
        return counter.Value;
    });

    private sealed class Counter
    {
        public int Value;
    }
}
