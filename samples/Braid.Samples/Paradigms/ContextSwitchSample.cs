using System.Diagnostics;
using Braid.Loop;
using Braid.Structured;
using Braid.Time;

namespace Braid.Samples.Paradigms;

/// <summary>
/// The context-switch test of the book: 100,000 tasks gathered, each awaiting a 1 µs sleep, on an
/// <see cref="AsyncLoop"/> with a <see cref="VirtualClock"/> that jumps when every task waits — the
/// like-for-like pair of bench/python/context_switch_trio.py (Trio + <c>MockClock(autojump_threshold=0)</c>),
/// in a console form that <c>/usr/bin/time</c> can measure. The real-clock pair is
/// <see cref="ContextSwitchRealClockSample"/> against bench/python/context_switch.py (asyncio).
/// </summary>
public sealed class ContextSwitchSample : ISample
{
    // VirtualClock.DelayAsync is exact to the tick. (Task.Delay truncates to whole milliseconds, so
    // Task.Delay(1 µs) would complete synchronously and nothing would switch.)
    private static readonly TimeSpan OneMicrosecond = TimeSpan.FromTicks(10);

    /// <inheritdoc />
    public string Name => "context-switch";

    /// <inheritdoc />
    public string Description => "100,000 tasks each sleeping 1 µs, gathered on AsyncLoop with virtual time (the Trio MockClock pair).";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var clock = new VirtualClock { AutoJump = true };
        var (count, elapsed, steps) = await RunOnLoopAsync(clock, () => SleepAsync(clock), cancellationToken);
        await output.WriteLineAsync($"{count} tasks, each sleeping 1 us (virtual), {Gathering} on AsyncLoop + VirtualClock: {elapsed.TotalMilliseconds:F0} ms ({steps} steps)");
        return 0;
    }

    /// <summary>How the tasks are joined, for the printed line: <c>BRAID_GATHER=group</c> or not.</summary>
    internal static string Gathering => Environment.GetEnvironmentVariable("BRAID_GATHER") == "group" ? "in a TaskGroup" : "gathered";

    /// <summary>
    /// Runs <c>BRAID_TASKS</c> (default 100,000) calls of <paramref name="sleep"/> gathered with
    /// <see cref="Task.WhenAll(Task[])"/> (asyncio's <c>gather</c>), or as the children of a
    /// <see cref="TaskGroup"/> (Trio's nursery) when <c>BRAID_GATHER=group</c>, on an
    /// <see cref="AsyncLoop"/> on its own thread, with <paramref name="clock"/> as the loop's time;
    /// returns the count, the loop's run time and its steps.
    /// </summary>
    internal static Task<(int Count, TimeSpan Elapsed, long Steps)> RunOnLoopAsync(TimeProvider clock, Func<Task> sleep, CancellationToken cancellationToken)
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("BRAID_TASKS"), out var n) && n > 0 ? n : 100_000;
        var inGroup = Gathering != "gathered";

        // The loop runs on its own thread: the sample host's Main is already async.
        return Task.Factory.StartNew(
            () =>
            {
                var start = Stopwatch.GetTimestamp();
                var stats = AsyncLoop.Run(
                    async () =>
                    {
                        if (inGroup)
                        {
                            Func<CancellationToken, Task> child = _ => sleep();
                            await TaskGroup.RunAsync(group =>
                            {
                                for (var i = 0; i < count; i++)
                                {
                                    group.Start(child);
                                }

                                return Task.CompletedTask;
                            });
                        }
                        else
                        {
                            var tasks = new Task[count];
                            for (var i = 0; i < count; i++)
                            {
                                tasks[i] = sleep();
                            }

                            await Task.WhenAll(tasks);
                        }

                        return AsyncLoop.Current!.GetStatistics();
                    },
                    new AsyncLoopOptions { TimeProvider = clock });
                return (count, Stopwatch.GetElapsedTime(start), stats.StepsRun);
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    private static async Task SleepAsync(VirtualClock clock) => await clock.DelayAsync(OneMicrosecond);
}
