using Braid.Loop;
using Braid.Structured;
using Braid.Time;

namespace Braid.Samples.Paradigms;

/// <summary>
/// Futures composed: three downloads started at once and gathered (<see cref="Concurrent.GatherAsync{T}"/>,
/// Python's <c>gather</c>), then raced (<see cref="Concurrent.RaceAsync{T}"/>: the first to finish
/// wins and the losers are cancelled), then raced again with the BCL's <see cref="Task.WhenAny(Task[])"/>
/// for contrast. Runs on an <see cref="AsyncLoop"/> with a <see cref="VirtualClock"/>, so the timings
/// are exact and instant.
/// </summary>
public sealed class FuturesSample : ISample
{
    /// <inheritdoc />
    public string Name => "futures";

    /// <inheritdoc />
    public string Description => "Three futures gathered (total = slowest, not the sum) and raced (first wins, losers cancelled), with Gather and Race.";

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

        // Gather: every future, results in input order; the total is the slowest, not the sum.
        var start = clock.GetTimestamp();
        var all = await Concurrent.GatherAsync(mirrors.Select(m => Download(m.Name, m.Seconds)), cancellationToken);
        log.Add($"gather: [{string.Join(", ", all)}] after {clock.GetElapsedTime(start).TotalSeconds} s (the slowest, not the 10 s sum)");

        // Race: the first to finish wins; the losers are cancelled and awaited before RaceAsync returns.
        start = clock.GetTimestamp();
        var winner = await Concurrent.RaceAsync(mirrors.Select(m => Download(m.Name, m.Seconds)), cancellationToken);
        log.Add($"race: {winner} won after {clock.GetElapsedTime(start).TotalSeconds} s; the losers were cancelled");

        // The BCL's combinators compose the same futures, but leave the losers running unless told.
        start = clock.GetTimestamp();
        using var losers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var racers = mirrors.Select(m => Download(m.Name, m.Seconds)(losers.Token)).ToList();
        var first = await await Task.WhenAny(racers);

        // Cancel, not CancelAsync: CancelAsync runs the callbacks on the thread pool, where the loop
        // cannot see them, and the virtual clock could jump to the losers' finish before they land.
#pragma warning disable VSTHRD103
        losers.Cancel();
#pragma warning restore VSTHRD103
        var ended = await Task.WhenAll(racers.Select(async r =>
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
        log.Add($"Task.WhenAny: {first} won after {clock.GetElapsedTime(start).TotalSeconds} s; cancelling the rest by hand: [{string.Join(", ", ended)}]");
        return log;

        Func<CancellationToken, Task<string>> Download(string mirror, int seconds) => ct => DownloadAsync(clock, mirror, seconds, log, ct);
    }

    private static async Task<string> DownloadAsync(TimeProvider clock, string mirror, int seconds, List<string> log, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds), clock, cancellationToken);
        log.Add($"  {mirror} finished at {seconds} s");
        return $"{mirror}:{seconds}s";
    }
}
