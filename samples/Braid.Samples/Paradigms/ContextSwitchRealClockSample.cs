using Braid.Loop;

namespace Braid.Samples.Paradigms;

/// <summary>
/// The context-switch test on the real clock: 100,000 tasks gathered on an <see cref="AsyncLoop"/> with
/// the system <see cref="TimeProvider"/>, each awaiting a real timer armed for 1 µs — the like-for-like
/// pair of bench/python/context_switch.py, where asyncio arms a real timer for each
/// <c>asyncio.sleep(1e-6)</c>. The virtual-clock pair is <see cref="ContextSwitchSample"/>.
/// </summary>
/// <remarks>
/// <c>Task.Delay</c> truncates to whole milliseconds and returns a completed task for 1 µs, so the sleep
/// arms a timer of the loop's clock itself (<see cref="TimeProvider.CreateTimer"/>): the runtime's timer
/// fires it from its own thread once it is due (the system timer counts whole milliseconds, so at its
/// next tick), and the task's continuation is posted back to the loop, as asyncio's timer handle is
/// run by its loop.
/// </remarks>
public sealed class ContextSwitchRealClockSample : ISample
{
    private static readonly TimeSpan OneMicrosecond = TimeSpan.FromTicks(10);

    /// <inheritdoc />
    public string Name => "context-switch-real-clock";

    /// <inheritdoc />
    public string Description => "100,000 tasks each sleeping 1 µs on a real timer, gathered on AsyncLoop (the asyncio pair).";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var clock = TimeProvider.System;
        var (count, elapsed, steps) = await ContextSwitchSample.RunOnLoopAsync(clock, () => SleepAsync(clock), cancellationToken);
        await output.WriteLineAsync($"{count} tasks, each sleeping 1 us (real clock), {ContextSwitchSample.Gathering} on AsyncLoop: {elapsed.TotalMilliseconds:F0} ms ({steps} steps)");
        return 0;
    }

    private static async Task SleepAsync(TimeProvider clock)
    {
        var due = new TaskCompletionSource();
        using var timer = clock.CreateTimer(static state => ((TaskCompletionSource)state!).TrySetResult(), due, OneMicrosecond, Timeout.InfiniteTimeSpan);
        await due.Task;
    }
}
