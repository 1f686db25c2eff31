namespace Braid.Tracing.Tests;

/// <summary><c>braid trace</c>'s library on real target processes: a starving service and a lock convoy (issue 14).</summary>
public sealed class ProcessTracerTests
{
    [Fact]
    public async Task A_command_started_suspended_is_traced_from_the_start_and_its_starvation_found()
    {
        var report = await ProcessTracer.TraceCommandAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Braid.Tracing.Target.dll"), "starve"],
            new TraceOptions { Duration = TimeSpan.FromSeconds(4) });

        Assert.NotEmpty(report.StarvationPeriods);
        Assert.True(report.ThreadsAddedForBlocking + report.ThreadsAddedForStarvation > 0);
        Assert.StartsWith("thread pool starved for ", report.Verdict(), StringComparison.Ordinal);
        Assert.Contains("verdict: thread pool starved", report.ToText(), StringComparison.Ordinal);
        Assert.False(Directory.Exists($"/proc/{report.ProcessId}"), "the started program outlived its trace");
    }

    [Fact]
    public async Task A_running_process_is_traced_for_its_duration_and_its_lock_convoy_found()
    {
        using var target = await TargetProcess.StartAsync("convoy");

        var report = await ProcessTracer.TraceAsync(target.Id, new TraceOptions { Duration = TimeSpan.FromSeconds(2) });

        Assert.True(report.ContentionWaits > 0);
        Assert.NotEmpty(report.HotLocks);
        Assert.Empty(report.StarvationPeriods);
        Assert.Contains("; lock contention ", report.Verdict(), StringComparison.Ordinal);
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task The_timeline_shows_the_convoy_as_contention_slices_on_their_threads_and_the_pool_as_counters()
    {
        using var target = await TargetProcess.StartAsync("convoy");
        using var timeline = new MemoryStream();

        var report = await ProcessTracer.TraceAsync(target.Id, new TraceOptions { Duration = TimeSpan.FromSeconds(2), Timeline = timeline });

        using var trace = System.Text.Json.JsonDocument.Parse(timeline.ToArray());
        var events = trace.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        var contention = events.Where(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("name").GetString() == "lock contention").ToList();
        Assert.Equal(report.ContentionWaits, contention.Count);
        Assert.All(contention, e =>
        {
            Assert.Equal(target.Id, e.GetProperty("pid").GetInt32());
            Assert.StartsWith("0x", e.GetProperty("args").GetProperty("lock").GetString(), StringComparison.Ordinal);
            Assert.True(e.GetProperty("dur").GetDouble() >= 0);
        });
        Assert.True(contention.Select(e => e.GetProperty("tid").GetInt64()).Distinct().Count() > 1, "a convoy has waiters on more than one thread");
        Assert.Contains(events, e => e.GetProperty("ph").GetString() == "C" && e.GetProperty("name").GetString() == "pool threads");
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task A_program_that_is_not_dotnet_is_refused_in_one_sentence()
    {
        var error = await Assert.ThrowsAsync<TracingException>(() => ProcessTracer.TraceCommandAsync("true", [], new TraceOptions()));
        Assert.Equal("true exited (code 0) before its runtime connected: it is not a .NET program, or it failed to start", error.Message);
    }
}
