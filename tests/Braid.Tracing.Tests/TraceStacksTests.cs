using System.Text.Json;

namespace Braid.Tracing.Tests;

/// <summary>
/// <c>braid trace</c>'s blocking call sites, lock types and slowest awaits, from the stacks the runtime's events
/// carry, on real target processes (issue 14). The names are asserted, never the durations.
/// </summary>
public sealed class TraceStacksTests
{
    [Fact]
    public async Task The_starving_service_is_blamed_on_the_task_wait_called_from_its_handler()
    {
        using var target = await TargetProcess.StartAsync("starve");

        var report = await ProcessTracer.TraceAsync(target.Id, new TraceOptions { Duration = TimeSpan.FromSeconds(3) });

        Assert.NotEmpty(report.BlockingSites);
        // Task.Result, or once the JIT inlined it into Handle, the task wait it ends in (which Wait shares);
        // Handle itself is inlined into Loop only after a long run, and then the stack names Loop.
        Assert.Matches(@"^Task\.(Wait/)?Result called from Starving\.(Handle ← Starving\.Loop|Loop)", report.BlockingSites[0].Site);
        Assert.Matches(@"% of blocked time in Task\.(Wait/)?Result called from Starving\.(Handle|Loop)", report.Verdict());
        Assert.Empty(report.SlowestAsyncOperations);
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task The_convoy_lock_is_named_by_its_type_and_the_method_that_takes_it()
    {
        using var target = await TargetProcess.StartAsync("convoy");

        var report = await ProcessTracer.TraceAsync(target.Id, new TraceOptions { Duration = TimeSpan.FromSeconds(2) });

        var hot = report.HotLocks[0];
        Assert.Equal(("System.Threading.Lock", "Convoy.Spin"), (hot.Type, hot.TakenIn));
        Assert.Contains($"on lock {hot.Lock} (System.Threading.Lock in Convoy.Spin)", report.Verdict(), StringComparison.Ordinal);
        Assert.Contains(report.BlockingSites, s => s.Site == "lock (Lock) called from Convoy.Spin");
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task The_causality_profile_names_the_slowest_awaits_and_draws_them_as_async_slices_with_flows()
    {
        using var target = await TargetProcess.StartAsync("starve");
        using var timeline = new MemoryStream();

        var report = await ProcessTracer.TraceAsync(target.Id, new TraceOptions { Duration = TimeSpan.FromSeconds(2), Causality = true, Timeline = timeline });

        Assert.Contains(report.SlowestAsyncOperations, o => o.Awaiter == "Starving.GetAsync" && o.Count > 0);
        Assert.Contains("slowest async operations", report.ToText(), StringComparison.Ordinal);
        using var trace = JsonDocument.Parse(timeline.ToArray());
        var events = trace.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        Assert.Contains(events, e => e.GetProperty("ph").GetString() == "b" && e.GetProperty("name").GetString() == "await in Starving.GetAsync");
        Assert.Contains(events, e => e.GetProperty("ph").GetString() == "s");
        Assert.Contains(events, e => e.GetProperty("name").GetString() == "wait handle"
            && e.GetProperty("args").TryGetProperty("site", out var site) && site.GetString()!.Contains("Result called from Starving.", StringComparison.Ordinal)
            && e.GetProperty("args").GetProperty("stack").GetString()!.Contains("Braid.Tracing.Target.Starving.Loop()", StringComparison.Ordinal));
        Assert.True(await target.AnswersAsync());
    }
}
