using System.Diagnostics;
using Braid.Loop;
using Braid.Time;

namespace Braid.Samples.Paradigms;

/// <summary>
/// The context-switch test of the book: 100,000 tasks gathered, each awaiting a 1 µs sleep, on an
/// <see cref="AsyncLoop"/> with a <see cref="VirtualClock"/> — the console form of the benchmark, so
/// that <c>/usr/bin/time -v</c> can measure its peak memory beside bench/python/context_switch.py.
/// </summary>
public sealed class ContextSwitchSample : ISample
{
    // VirtualClock.DelayAsync is exact to the tick. (Task.Delay truncates to whole milliseconds, so
    // Task.Delay(1 µs) would complete synchronously and nothing would switch.)
    private static readonly TimeSpan OneMicrosecond = TimeSpan.FromTicks(10);

    /// <inheritdoc />
    public string Name => "context-switch";

    /// <inheritdoc />
    public string Description => "100,000 tasks each sleeping 1 µs, gathered on AsyncLoop with virtual time (the Python comparison).";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("BRAID_TASKS"), out var n) && n > 0 ? n : 100_000;

        // The loop runs on its own thread: the sample host's Main is already async.
        var (elapsed, steps) = await Task.Factory.StartNew(
            () =>
            {
                var clock = new VirtualClock { AutoJump = true };
                var start = Stopwatch.GetTimestamp();
                var stats = AsyncLoop.Run(
                    async () =>
                    {
                        var tasks = new Task[count];
                        for (var i = 0; i < count; i++)
                        {
                            tasks[i] = SleepAsync(clock);
                        }

                        await Task.WhenAll(tasks);
                        return AsyncLoop.Current!.GetStatistics();
                    },
                    new AsyncLoopOptions { TimeProvider = clock });
                return (Stopwatch.GetElapsedTime(start), stats.StepsRun);
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        await output.WriteLineAsync($"{count} tasks, each sleeping 1 us (virtual), gathered on AsyncLoop + VirtualClock: {elapsed.TotalMilliseconds:F0} ms ({steps} steps)");
        return 0;
    }

    private static async Task SleepAsync(VirtualClock clock) => await clock.DelayAsync(OneMicrosecond);
}
