using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Braid.Pipelines.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public async Task The_meter_counts_items_per_stage_and_the_activity_records_failures()
    {
        var pipelineName = "telemetry-" + Guid.NewGuid().ToString("N");
        long itemsOut = 0;
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PipelineTelemetry.Name && instrument.Name == "braid.pipeline.items.out")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "braid.pipeline.stage" && tag.Value is string stage && stage == pipelineName + "/double")
                {
                    Interlocked.Add(ref itemsOut, value);
                }
            }
        });
        meters.Start();

        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PipelineTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if ((string?)a.GetTagItem("braid.pipeline.name") == pipelineName)
                {
                    lock (activities)
                    {
                        activities.Add(a);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var options = new PipelineOptions { Name = pipelineName };
        await Pipeline.From(Enumerable.Range(0, 100), options).Map(x => x * 2, new StageOptions { Name = "double" }).RunAsync();
        Assert.Equal(100, Interlocked.Read(ref itemsOut));

        await Assert.ThrowsAsync<PipelineException>(() => Pipeline.From(new[] { 1 }, options).Map<int>(_ => throw new InvalidOperationException("x")).RunAsync());
        lock (activities)
        {
            Assert.Equal(2, activities.Count);
            Assert.Equal(ActivityStatusCode.Ok, activities[0].Status);
            Assert.Equal(ActivityStatusCode.Error, activities[1].Status);
            Assert.Contains(activities[1].Events, e => e.Name == "braid.pipeline.failure");
        }
    }

    [Fact]
    public async Task Progress_is_reported_on_the_pipeline_clock_and_once_at_the_end()
    {
        var clock = new ManualClock();
        var reports = new List<PipelineStatistics>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new PipelineOptions
        {
            TimeProvider = clock,
            ProgressInterval = TimeSpan.FromSeconds(1),
            OnProgress = s =>
            {
                lock (reports)
                {
                    reports.Add(s);
                }
            },
        };
        var running = Pipeline.From(Enumerable.Range(0, 10), options)
            .Map(async (x, ct) =>
            {
                await gate.Task.WaitAsync(ct);
                return x;
            })
            .RunAsync();

        await clock.WaitForTimersScheduledAsync(1);
        clock.Advance(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        lock (reports)
        {
            Assert.Equal(2, reports.Count);
            Assert.All(reports, r => Assert.False(r.Completed));
        }

        gate.SetResult();
        var final = await running.WaitAsync(TestSupport.HangGuard);
        lock (reports)
        {
            Assert.Equal(3, reports.Count);
            Assert.True(reports[^1].Completed);
            Assert.Equal(10, reports[^1].Stages[^1].ItemsOut);
        }

        Assert.Equal(10, final.Stages[^1].ItemsOut);
        Assert.Equal(TimeSpan.FromSeconds(2), final.Elapsed);
    }

    [Fact]
    public async Task The_last_progress_report_is_the_final_snapshot_and_its_elapsed_stops_when_the_run_ends()
    {
        // Issue 12: the progress panel ended on one elapsed time and the summary printed another, because
        // every snapshot after the end measured the clock again.
        var clock = new ManualClock();
        var reports = new List<PipelineStatistics>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new PipelineOptions
        {
            TimeProvider = clock,
            ProgressInterval = TimeSpan.FromMilliseconds(250),
            OnProgress = s =>
            {
                lock (reports)
                {
                    reports.Add(s);
                }
            },
        };
        var run = Pipeline.From(Enumerable.Range(0, 10), options)
            .Map(async (x, ct) =>
            {
                await gate.Task.WaitAsync(ct);
                return x;
            })
            .Start();

        await clock.WaitForTimersScheduledAsync(1);
        for (var i = 0; i < 4; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(250));
        }

        gate.SetResult();
        var results = 0;
        await foreach (var _ in run.WithCancellation(CancellationToken.None))
        {
            results++;
        }

        var final = run.GetStatistics();
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(10, results);
        Assert.Same(final, run.GetStatistics());
        Assert.True(final.Completed);
        Assert.Equal(TimeSpan.FromSeconds(1), final.Elapsed);
        Assert.All(final.Stages, s => Assert.Equal(TimeSpan.FromSeconds(1), s.Elapsed));
        Assert.Equal(10, final.Stages[^1].ItemsOut);
        lock (reports)
        {
            Assert.Equal([250.0, 500.0, 750.0, 1000.0, 1000.0], reports.Select(r => r.Elapsed.TotalMilliseconds));
            Assert.Same(final, reports[^1]);
        }

        await run.DisposeAsync();
        Assert.Same(final, run.GetStatistics());
    }

    [Fact]
    public async Task RunAsync_returns_the_snapshot_of_the_last_progress_report()
    {
        var clock = new ManualClock();
        PipelineStatistics? last = null;
        var statistics = await Pipeline.From(Enumerable.Range(0, 100), new PipelineOptions { TimeProvider = clock, OnProgress = s => last = s })
            .Map(x => x + 1)
            .RunAsync()
            .WaitAsync(TestSupport.HangGuard);

        Assert.Same(statistics, last);
        Assert.True(statistics.Completed);
    }
}
