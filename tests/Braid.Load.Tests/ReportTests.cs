using Braid.Load.Internal;

namespace Braid.Load.Tests;

public sealed class ReportTests
{
    [Fact]
    public void Timeline_merges_neighbours_when_a_run_outlasts_its_slices_and_loses_no_count()
    {
        var timeline = new Timeline(0, 10, 1000);
        for (var t = 0; t < 5000; t++)
        {
            timeline.Record(t, 1000 + t, failed: t % 10 == 0);
        }

        var points = timeline.Snapshot();
        Assert.True(points.Count <= Timeline.MaxSlices, $"{points.Count} slices");
        Assert.Equal(5000, points.Sum(p => p.Completed));
        Assert.Equal(500, points.Sum(p => p.Errors));
        Assert.Equal(0.08, points[1].StartS - points[0].StartS, 6); // 10 ticks doubled three times, at 1000 ticks a second
        Assert.True(points[^1].MaxMs >= 5.5, "the last slice holds the largest latencies");
    }

    [Theory]
    [InlineData("2026-12-05T17:00:00.0000000+00:00", true)]
    [InlineData("{\"time\":\"2026-12-05T17:00:00Z\",\"ntp\":1}", true)]
    [InlineData("{\"timestamp\":1796490000000}", true)]
    [InlineData("{\"other\":1}", false)]
    [InlineData("hello", false)]
    [InlineData("{not json", false)]
    [InlineData("", false)]
    public void An_event_carries_a_send_time_in_its_data_or_not(string data, bool has) =>
        Assert.Equal(has, SseLoad.SentAt(data) is not null);

    [Fact]
    public void Json_round_trips_and_html_is_self_contained()
    {
        var result = Sample();

        var back = LoadReports.FromJson(LoadReports.ToJson(result));
        Assert.Equal(result.Latency, back.Latency);
        Assert.Equal(result.Errors["status 500"], back.Errors["status 500"]);
        Assert.Equal(result.Timeline.Count, back.Timeline.Count);

        var html = LoadReports.ToHtml(result);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<polyline", html, StringComparison.Ordinal);
        Assert.Contains("uncorrected (from actual send)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http-equiv", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_summary_ends_with_the_generators_verdict()
    {
        var lines = LoadReports.Summary(Sample());

        Assert.Contains(lines, l => l.StartsWith("latency (from intended start, corrected): p50 1 ms", StringComparison.Ordinal));
        Assert.Contains(lines, l => l == "errors: status 500 3, timeout 1");
        Assert.Equal("The generator kept up.", lines[^1]);
    }

    [Fact]
    public void A_saturated_cpu_or_late_sends_make_the_generator_the_bottleneck()
    {
        var cores = Environment.ProcessorCount;
        var lag = new LatencyPercentiles(100, 1, 1, 1, 30, 40, 50);
        var saturated = Health.Judge(cpuMs: 1000 * cores * 0.95, wallS: 1, work: 1000, "request", 0, 1000, lag);
        var late = Health.Judge(cpuMs: 100, wallS: 1, work: 1000, "request", late: 50, scheduled: 1000, lag);
        var fine = Health.Judge(cpuMs: 100, wallS: 1, work: 1000, "request", late: 5, scheduled: 1000, lag);

        Assert.True(saturated.IsBottleneck);
        Assert.StartsWith("The generator was the bottleneck", saturated.Verdict, StringComparison.Ordinal);
        Assert.True(late.IsBottleneck);
        Assert.Contains("5.0% of sends started more than 10 ms late", late.Verdict, StringComparison.Ordinal);
        Assert.False(fine.IsBottleneck);
        Assert.StartsWith("The generator kept up", fine.Verdict, StringComparison.Ordinal);
    }

    private static LoadResult Sample() => new()
    {
        Target = "http://127.0.0.1:5000/",
        Model = "open",
        Rate = 100,
        Connections = 4,
        DurationS = 2,
        Sent = 200,
        Completed = 200,
        Ok = 196,
        Failed = 4,
        Latency = new LatencyPercentiles(200, 2, 1, 3, 9, 12, 15),
        UncorrectedLatency = new LatencyPercentiles(200, 1, 1, 2, 3, 4, 5),
        Errors = new Dictionary<string, long> { ["status 500"] = 3, ["timeout"] = 1 },
        Timeline = [new TimelinePoint(0, 100, 2, 1, 8, 15), new TimelinePoint(1, 100, 2, 1, 9, 12)],
        Generator = new GeneratorHealth(10, 0.05, 2, 50, 0, null, false, "The generator kept up."),
    };
}
