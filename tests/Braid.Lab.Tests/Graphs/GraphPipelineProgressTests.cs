using Braid.Lab.Graphs;
using Braid.Pipelines;

namespace Braid.Lab.Tests.Graphs;

/// <summary>
/// The graph pipeline hands its progress options to the pipeline, so a display asks for the interval it
/// draws at (issue 12: the CLI listened to the process-wide meter because the interval was fixed), and
/// the summary's statistics are the snapshot a display ended on.
/// </summary>
public sealed class GraphPipelineProgressTests
{
    [Fact]
    public async Task The_progress_interval_reaches_the_pipeline_and_the_last_report_is_the_summarys_statistics()
    {
        var clock = new TimerRecordingClock();
        var reports = new List<PipelineStatistics>();
        var summary = await GraphPipeline.RunAsync(new GraphPipelineOptions
        {
            DataFiles = [Path.Combine(GraphDeterminismTests.Fixture, "data.noun")],
            Workers = 2,
            TimeProvider = clock,
            ProgressInterval = TimeSpan.FromMilliseconds(125),
            OnProgress = s =>
            {
                lock (reports)
                {
                    reports.Add(s);
                }
            },
        });

        Assert.Equal([TimeSpan.FromMilliseconds(125)], clock.Periods);
        lock (reports)
        {
            Assert.Same(summary.Statistics, reports[^1]);
        }

        Assert.True(summary.Statistics.Completed);
        Assert.Equal(summary.Statistics.Elapsed + summary.ComponentTime + summary.WriteTime, summary.Elapsed);
    }

    [Fact]
    public async Task An_interval_of_zero_is_refused_before_anything_runs()
    {
        var options = new GraphPipelineOptions { DataFiles = [Path.Combine(GraphDeterminismTests.Fixture, "data.noun")], ProgressInterval = TimeSpan.Zero };
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => GraphPipeline.RunAsync(options));
    }

    /// <summary>The system clock, recording the period of every periodic timer created on it.</summary>
    private sealed class TimerRecordingClock : TimeProvider
    {
        private readonly List<TimeSpan> _periods = [];

        public IReadOnlyList<TimeSpan> Periods
        {
            get
            {
                lock (_periods)
                {
                    return [.. _periods];
                }
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (period != Timeout.InfiniteTimeSpan)
            {
                lock (_periods)
                {
                    _periods.Add(period);
                }
            }

            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
