using Braid.Loop;
using Braid.Time;

namespace Braid.Samples.Paradigms;

/// <summary>
/// Futures composed: three downloads started at once and gathered (<see cref="Task.WhenAll(Task[])"/>,
/// Python's <c>gather</c>), then raced against each other (<see cref="Task.WhenAny(Task[])"/>,
/// a race: the first to finish wins and the losers are cancelled). Runs on an
/// <see cref="AsyncLoop"/> with a <see cref="VirtualClock"/>, so the timings are exact and instant.
/// This sample uses the BCL combinators; Braid's structured Gather and Race live in Braid.Structured.
/// </summary>
public sealed class FuturesSample : ISample
{
    /// <inheritdoc />
    public string Name => "futures";

    /// <inheritdoc />
    public string Description => "Three futures gathered (total = slowest, not the sum) and raced (first wins, losers cancelled).";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var lines = await Task.Factory.StartNew(
            () => AsyncLoop.Run(() => ComposeAsync(cancellationToken), new AsyncLoopOptions { TimeProvider = new VirtualClock { AutoJump = true } }),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        foreach (var line in lines)
        {
            await output.WriteLineAsync(line);
        }

        return 0;
    }

    private static async Task<List<string>> ComposeAsync(CancellationToken cancellationToken)
    {
        var clock = AsyncLoop.Current!.TimeProvider;
        var log = new List<string>();
        (string Name, int Seconds)[] mirrors = [("eu", 3), ("us", 2), ("asia", 5)];

        var start = clock.GetTimestamp();
        var all = await Task.WhenAll(mirrors.Select(m => DownloadAsync(clock, m.Name, m.Seconds, log, cancellationToken)));
        log.Add($"gather: [{string.Join(", ", all)}] after {clock.GetElapsedTime(start).TotalSeconds} s (the slowest, not the 10 s sum)");

        start = clock.GetTimestamp();
        using var losers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var racers = mirrors.Select(m => DownloadAsync(clock, m.Name, m.Seconds, log, losers.Token)).ToList();
        var winner = await await Task.WhenAny(racers);
        // Cancel, not CancelAsync: CancelAsync runs the callbacks on the thread pool, where the loop
        // cannot see them, and the virtual clock could jump to the losers' finish before they land.
#pragma warning disable VSTHRD103
        losers.Cancel();
#pragma warning restore VSTHRD103
        var outcomes = await Task.WhenAll(racers.Select(async r =>
        {
            try
            {
                return await r;
            }
            catch (OperationCanceledException)
            {
                return "cancelled";
            }
        }));
        log.Add($"race: {winner} won after {clock.GetElapsedTime(start).TotalSeconds} s; every racer ended: [{string.Join(", ", outcomes)}]");
        return log;
    }

    private static async Task<string> DownloadAsync(TimeProvider clock, string mirror, int seconds, List<string> log, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds), clock, cancellationToken);
        log.Add($"  {mirror} finished at {seconds} s");
        return $"{mirror}:{seconds}s";
    }
}
