using BenchmarkDotNet.Attributes;
using Braid.Loop;
using Braid.Time;

namespace Braid.Benchmarks.Loop;

/// <summary>
/// The book's context-switch test: 100,000 tasks gathered, each awaiting a tiny sleep. The Python
/// version is bench/python/context_switch.py (asyncio, 1 µs sleeps). Task.Delay truncates to whole
/// milliseconds, so Task.Delay(1 µs) completes synchronously: the 1 µs rows show that, and the 1 ms
/// rows are the smallest delays that really suspend.
/// </summary>
[MemoryDiagnoser]
public class ContextSwitchBenchmarks
{
    private const int Tasks = 100_000;
    private static readonly TimeSpan OneMicrosecond = TimeSpan.FromTicks(10);
    private static readonly TimeSpan OneMillisecond = TimeSpan.FromMilliseconds(1);

    /// <summary>The anchor: the thread pool, real time, 1 ms sleeps.</summary>
    [Benchmark(Baseline = true)]
    public Task ThreadPool_RealTime_TaskDelay_1ms() => GatherAsync(TimeProvider.System, OneMillisecond);

    [Benchmark]
    public Task ThreadPool_RealTime_TaskDelay_1us() => GatherAsync(TimeProvider.System, OneMicrosecond);

    [Benchmark]
    public void AsyncLoop_RealTime_TaskDelay_1ms() => AsyncLoop.Run(() => GatherAsync(TimeProvider.System, OneMillisecond));

    [Benchmark]
    public void AsyncLoop_VirtualClock_TaskDelay_1ms()
    {
        var clock = new VirtualClock { AutoJump = true };
        AsyncLoop.Run(() => GatherAsync(clock, OneMillisecond), new AsyncLoopOptions { TimeProvider = clock });
    }

    [Benchmark]
    public void AsyncLoop_VirtualClock_DelayAsync_1us()
    {
        var clock = new VirtualClock { AutoJump = true };
        AsyncLoop.Run(
            async () =>
            {
                var tasks = new Task[Tasks];
                for (var i = 0; i < tasks.Length; i++)
                {
                    tasks[i] = SleepAsync(clock);
                }

                await Task.WhenAll(tasks);
            },
            new AsyncLoopOptions { TimeProvider = clock });

        static async Task SleepAsync(VirtualClock clock) => await clock.DelayAsync(OneMicrosecond);
    }

    private static async Task GatherAsync(TimeProvider time, TimeSpan sleep)
    {
        var tasks = new Task[Tasks];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = SleepAsync(time, sleep);
        }

        await Task.WhenAll(tasks);

        static async Task SleepAsync(TimeProvider time, TimeSpan sleep) => await Task.Delay(sleep, time);
    }
}
