namespace Braid.Diagnostics.Tests;

/// <summary>The verdict's wording and the heartbeat's arithmetic, on a manual clock and made-up figures.</summary>
public sealed class VerdictTests
{
    [Fact]
    public void A_starved_verdict_leads_with_the_time_and_names_the_sites_by_share()
    {
        var sites = new[]
        {
            new BlockingCallSite(BlockingKind.SyncOverAsync, "Task.Wait called from OrderService.Get", 40, TimeSpan.FromSeconds(8.7), 0.87),
            new BlockingCallSite(BlockingKind.MonitorContention, "lock 0x2a", 3, TimeSpan.FromSeconds(1), 0.10),
            new BlockingCallSite(BlockingKind.WaitHandle, "wait handle", 1, TimeSpan.FromSeconds(0.3), 0.03),
        };

        var verdict = VerdictWriter.Write(
            starved: true, TimeSpan.FromSeconds(2.3), TimeSpan.FromSeconds(1.25), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5),
            maxQueue: 57, minThreads: 2, maxThreads: 14, addedForStarvation: 3, addedForBlocking: 9, sites);

        Assert.Equal(
            "thread pool starved for 2.3 s (worst heartbeat 1.2 s late; queue up to 57; threads 2 → 14; the runtime added 3 for starvation, 9 for blocked tasks); "
            + "87% of blocked time in Task.Wait called from OrderService.Get, 10% of blocked time in contention on lock 0x2a",
            verdict);
    }

    [Fact]
    public void A_starved_verdict_without_sites_says_what_raises_no_event()
    {
        var verdict = VerdictWriter.Write(
            starved: true, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2),
            maxQueue: 4, minThreads: 2, maxThreads: 3, addedForStarvation: 1, addedForBlocking: 0, []);

        Assert.EndsWith("; no blocking call was seen: pool threads are sleeping, in blocking I/O or computing, which raise no event in process", verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void A_healthy_verdict_gives_the_worst_lag_against_the_threshold()
    {
        var verdict = VerdictWriter.Write(
            starved: false, TimeSpan.Zero, TimeSpan.FromMilliseconds(3), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2.1),
            maxQueue: 0, minThreads: 2, maxThreads: 2, addedForStarvation: 0, addedForBlocking: 0, []);

        Assert.Equal("thread pool not starved: worst heartbeat 3 ms late (threshold 250 ms) over 2.1 s", verdict);
    }

    [Fact]
    public async Task A_heartbeat_late_on_the_monitors_clock_is_starvation()
    {
        var clock = new ManualTimeProvider();
        var beat = new TaskCompletionSource<StarvationSample>(TaskCreationOptions.RunContinuationsAsynchronously);
        var starved = new TaskCompletionSource<StarvationReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var monitor = StarvationMonitor.Start(new StarvationMonitorOptions
        {
            TimeProvider = clock,
            HeartbeatInterval = TimeSpan.FromMilliseconds(50),
            LagThreshold = TimeSpan.FromMilliseconds(250),
            OnHeartbeat = s => beat.TrySetResult(s),
            OnStarved = r => starved.TrySetResult(r),
        });

        // The timer was due at 50 ms; nothing ran it until 1.05 s: the heartbeat is a second late.
        clock.Set(TimeSpan.FromMilliseconds(1050));
        clock.FireArmedTimers();
        var sample = await beat.Task.WaitAsync(Guard.Timeout);
        var report = await starved.Task.WaitAsync(Guard.Timeout);

        Assert.Equal(TimeSpan.FromSeconds(1), sample.Lag);
        Assert.Equal(TimeSpan.FromMilliseconds(1050), sample.Offset);
        Assert.True(report.Starved);
        Assert.Equal(TimeSpan.FromSeconds(1), report.StarvedFor);
        Assert.Equal(TimeSpan.FromSeconds(1), report.WorstLag);
        Assert.StartsWith("thread pool starved for 1.0 s (worst heartbeat 1.0 s late;", report.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_heartbeat_on_time_is_not_starvation()
    {
        var clock = new ManualTimeProvider();
        var beat = new TaskCompletionSource<StarvationSample>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var monitor = StarvationMonitor.Start(new StarvationMonitorOptions
        {
            TimeProvider = clock,
            HeartbeatInterval = TimeSpan.FromMilliseconds(50),
            OnHeartbeat = s => beat.TrySetResult(s),
        });

        clock.Set(TimeSpan.FromMilliseconds(50));
        clock.FireArmedTimers();
        var sample = await beat.Task.WaitAsync(Guard.Timeout);
        var report = monitor.Verdict();

        Assert.Equal(TimeSpan.Zero, sample.Lag);
        Assert.False(report.Starved);
        Assert.Equal(TimeSpan.Zero, report.StarvedFor);
        Assert.StartsWith("thread pool not starved: worst heartbeat 0 ms late (threshold 250 ms) over 50 ms", report.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_are_refused_before_anything_starts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StarvationMonitor.Start(new StarvationMonitorOptions { HeartbeatInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => StarvationMonitor.Start(new StarvationMonitorOptions { LagThreshold = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => StarvationMonitor.Start(new StarvationMonitorOptions { MaxSamples = 0 }));
    }
}
