using Braid.Loop;

namespace Braid.Samples.Paradigms;

/// <summary>
/// Why <c>.Result</c> on a single-threaded loop deadlocks, and Braid's debug mode reporting it. The
/// entry point blocks the loop thread on a task; this task's continuation is finished off the loop
/// (<c>ConfigureAwait(false)</c>), so here the wait ends — but debug mode reports the blocking wait the
/// moment it starts, with the method that did it, as it would for a wait that never ends.
/// </summary>
public sealed class BlockingWaitSample : ISample
{
    /// <inheritdoc />
    public string Name => "blocking-wait";

    /// <inheritdoc />
    public string Description => "Debug mode catches .Result blocking the loop thread (the classic sync-over-async deadlock).";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var options = new AsyncLoopOptions { Debug = true, DebugOutput = output, SlowStepThreshold = TimeSpan.FromMilliseconds(20) };
        var answer = await Task.Factory.StartNew(
            () => AsyncLoop.Run(
                async () =>
                {
                    await Task.Yield();
                    return BlockOnTheLoop();
                },
                options),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await output.WriteLineAsync($"the answer was {answer}; with ConfigureAwait(true) inside FetchAsync this run would never have ended");
        return 0;
    }

    // The mistake: synchronous code on the loop thread waiting for async code.
#pragma warning disable VSTHRD002, VSTHRD103 // This is the anti-pattern being demonstrated.
    private static int BlockOnTheLoop() => FetchAsync().Result;
#pragma warning restore VSTHRD002, VSTHRD103

    private static async Task<int> FetchAsync()
    {
        await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System).ConfigureAwait(false);
        return 42;
    }
}
