namespace Braid.Load.Internal;

/// <summary>Calls the progress callback once per interval until cancelled; <c>count(warmingUp)</c> is what has been done so far (warm-up sends while warming up).</summary>
internal static class Reporter
{
    public static async Task RunAsync(LoadOptions options, long start, long measureStart, Measurements measurements, Func<bool, long> count, Action<LoadProgress> progress, CancellationToken token)
    {
        var clock = options.TimeProvider;
        using var timer = new PeriodicTimer(options.ProgressInterval, clock);
        var last = (Timestamp: start, Count: 0L);
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            var now = clock.GetTimestamp();
            var warming = now < measureStart;
            var done = count(warming);
            if (!warming && last.Timestamp < measureStart)
            {
                last = (measureStart, 0);
            }

            var seconds = (now - last.Timestamp) / (double)clock.TimestampFrequency;
            var perSecond = seconds > 0 ? Math.Max(0, done - last.Count) / seconds : 0;
            last = (now, done);
            progress(new LoadProgress(clock.GetElapsedTime(start, now), warming, warming ? 0 : done, measurements.Failed, measurements.Dropped, measurements.InFlight, Math.Round(perSecond, 1)));
        }
    }
}
