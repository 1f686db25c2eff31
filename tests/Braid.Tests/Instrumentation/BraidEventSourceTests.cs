using System.Diagnostics.Tracing;
using System.Reflection;
using Braid.Coordination;
using Braid.Instrumentation;
using Braid.Loop;
using Braid.Structured;

namespace Braid.Tests.Instrumentation;

// docs/design.md rule 124: the Braid event source is fed by the core's one flag. Sessions are process-wide.
[Collection(nameof(InstrumentationCollection))]
public sealed class BraidEventSourceTests
{
    [Fact]
    public async Task A_listener_enabling_Braid_sees_a_groups_children_and_a_contended_locks_waiters_until_it_disables()
    {
        var source = Assert.Single(EventSource.GetSources(), s => s.Name == "Braid");
        using var recorder = new Recorder();
        recorder.EnableEvents(source, EventLevel.Informational, EventKeywords.All);
        Assert.True(BraidInstrumentation.IsEnabled);

        TaskGroup? group = null;
        await TaskGroup.RunAsync(g =>
        {
            group = g;
            g.Start(_ => Task.CompletedTask, "first");
            g.Start(_ => Task.CompletedTask, "second");
            return Task.CompletedTask;
        });
        var gate = new AsyncLock();
        await Contend(gate);

        var children = recorder.Of(group!.Id, "groupId");
        Assert.Equal(
            ["ChildStarted first", "ChildStarted second"],
            children.Where(e => e.EventName == "ChildStarted").Select(e => $"{e.EventName} {e.Payload![1]}"));
        Assert.Equal(
            ["first RanToCompletion ", "second RanToCompletion "],
            children.Where(e => e.EventName == "ChildFinished").Select(e => $"{e.Payload![1]} {e.Payload[2]} {e.Payload[3]}").Order());
        Assert.Equal(["groupId", "name", "status", "exceptionType", "exceptionMessage"], children.First(e => e.EventName == "ChildFinished").PayloadNames);
        // The group's own events frame its children's: opened first, closed last, after every child ended.
        Assert.Equal("GroupStarted", children[0].EventName);
        Assert.Equal("GroupFinished", children[^1].EventName);
        Assert.Equal("RanToCompletion", children[^1].Payload![2]);
        Assert.Equal(2, children.Count(e => e.EventName is "GroupStarted" or "GroupFinished"));

        var waiters = recorder.Of(gate.Id, "primitiveId");
        Assert.Equal(["WaiterQueued AsyncLock", "WaiterReleased AsyncLock"], waiters.Select(e => $"{e.EventName} {e.Payload![1]}"));
        // The high bits of Keywords carry the runtime's session mask; Braid's keywords are the low ones.
        Assert.All(waiters, e => Assert.Equal(BraidEventSource.Keywords.Waiters, e.Keywords & (EventKeywords)0xFF));

        recorder.DisableEvents(source);
        Assert.False(BraidInstrumentation.IsEnabled);
        var later = new AsyncLock();
        await Contend(later);
        Assert.Empty(recorder.Of(later.Id, "primitiveId"));
    }

    [Fact]
    public async Task A_faulted_child_carries_its_exception_type_and_message()
    {
        using var recorder = new Recorder();
        recorder.EnableEvents(BraidEventSource.Log, EventLevel.Informational, BraidEventSource.Keywords.Structured);
        TaskGroup? group = null;
        await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(g =>
        {
            group = g;
            g.Start(_ => throw new InvalidOperationException("boom"), "breaker");
            return Task.CompletedTask;
        }));

        var finished = Assert.Single(recorder.Of(group!.Id, "groupId"), e => e.EventName == "ChildFinished");
        Assert.Equal(["breaker", "Faulted", "System.InvalidOperationException", "boom"], finished.Payload!.Skip(1));
        var closed = Assert.Single(recorder.Of(group.Id, "groupId"), e => e.EventName == "GroupFinished");
        // A TaskGroupException with one failure is reported as that failure, as a child's AggregateException is.
        Assert.Equal(["Faulted", "System.InvalidOperationException", "boom"], closed.Payload!.Skip(2));
    }

    [Fact]
    public async Task The_flag_stays_on_until_the_last_session_leaves_and_keywords_filter()
    {
        var gate = new AsyncLock();
        using var structuredOnly = new Recorder();
        var waitersOnly = new Recorder();
        structuredOnly.EnableEvents(BraidEventSource.Log, EventLevel.Informational, BraidEventSource.Keywords.Structured);
        waitersOnly.EnableEvents(BraidEventSource.Log, EventLevel.Informational, BraidEventSource.Keywords.Waiters);
        await Contend(gate);
        Assert.Empty(structuredOnly.Of(gate.Id, "primitiveId"));
        Assert.Equal(2, waitersOnly.Of(gate.Id, "primitiveId").Count);

        waitersOnly.Dispose();
        Assert.True(BraidInstrumentation.IsEnabled);
        structuredOnly.Dispose();
        Assert.False(BraidInstrumentation.IsEnabled);
    }

    [Fact]
    public void A_debug_mode_loop_reports_its_steps_at_the_verbose_level_only()
    {
        using var informational = new Recorder();
        using var verbose = new Recorder();
        informational.EnableEvents(BraidEventSource.Log, EventLevel.Informational, BraidEventSource.Keywords.Loop);
        verbose.EnableEvents(BraidEventSource.Log, EventLevel.Verbose, BraidEventSource.Keywords.Loop);
        long loopId = -1;
        AsyncLoop.Run(
            async () =>
            {
                loopId = AsyncLoop.Current!.Id;
                await Task.Yield();
                await Task.Yield();
            },
            new AsyncLoopOptions { Debug = true, SlowStepThreshold = TimeSpan.FromSeconds(30), DebugOutput = TextWriter.Null });

        var steps = verbose.Of(loopId, "loopId");
        Assert.True(steps.Count >= 2, $"expected a StepRun per posted continuation, saw {steps.Count}");
        Assert.All(steps, e => Assert.Equal("StepRun", e.EventName));
        Assert.All(steps, e => Assert.True((double)e.Payload![2]! >= 0));
        Assert.Empty(informational.Of(loopId, "loopId"));
    }

    [Fact]
    public void Every_event_kind_has_its_event_and_the_manifest_is_valid()
    {
        var events = typeof(BraidEventSource).GetMethods()
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<EventAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToDictionary(x => x.Attribute!.EventId, x => x.Method.Name);
        Assert.Equal(
            Enum.GetValues<BraidEventKind>().Select(k => ((int)k + 1, k.ToString())),
            events.OrderBy(e => e.Key).Select(e => (e.Key, e.Value)));

        // Strict generation throws on a mismatch between an event's id, parameters and WriteEvent call.
        var manifest = EventSource.GenerateManifest(typeof(BraidEventSource), typeof(BraidEventSource).Assembly.Location, EventManifestOptions.Strict);
        Assert.Contains("name=\"Braid\"", manifest, StringComparison.Ordinal);
    }

    private static async Task Contend(AsyncLock gate)
    {
        var holder = await gate.LockAsync();
        var next = gate.LockAsync().AsTask();
        holder.Dispose();
        (await next).Dispose();
    }

    private sealed class Recorder : EventListener
    {
        private readonly List<EventWrittenEventArgs> _events = [];

        public List<EventWrittenEventArgs> Of(long sourceId, string idName)
        {
            lock (_events)
            {
                return [.. _events.Where(e => e.PayloadNames is [var first, ..] && first == idName && e.Payload![0] is long id && id == sourceId)];
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            lock (_events)
            {
                _events.Add(eventData);
            }
        }
    }
}
