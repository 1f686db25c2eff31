using System.Runtime.CompilerServices;
using Braid.Diagnostics.Tracing;
using Braid.Structured;

namespace Braid.Diagnostics.Tests.Tracing;

#pragma warning disable VSTHRD002, VSTHRD003 // Blocking on a task is part of the known program.

/// <summary>
/// A known program, recorded, and its trace checked event by event: an async method called on a thread
/// named 'caller' awaits one that awaits a task completed on a thread named 'setter'; the continuation
/// runs on a pool thread; a thread named 'blocker' blocks on the outer method's task.
/// </summary>
public sealed class TraceRecorderTests
{
    [Fact]
    public async Task A_known_program_gives_thread_tracks_nested_async_slices_a_flow_a_blocking_marker_and_counters()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task? outer = null;
        byte[] json;
        using (var recorder = TraceRecorder.Start(new TraceRecorderOptions { Notices = TextWriter.Null }))
        {
            var caller = Named("caller", () => outer = OuterAsync(release.Task));
            Guard.Join(caller);
            Thread blocker;
            using (BlockingDetector.Start(new BlockingDetectorOptions { OnBlocked = e => { if (e.TaskId == outer!.Id) blocked.TrySetResult(); } }))
            {
                blocker = Named("blocker", () => outer!.Wait());
                await blocked.Task.WaitAsync(Guard.Timeout);
            }

            var setter = Named("setter", release.SetResult);
            Guard.Join(setter);
            Guard.Join(blocker);
            recorder.Stop();
            Assert.Equal(0, recorder.DroppedEvents);
            using var stream = new MemoryStream();
            recorder.WriteTo(stream);
            json = stream.ToArray();
        }

        var events = TraceJson.Read(json);
        TraceJson.AssertWellFormed(events);
        long ThreadNamed(string name) => events.Single(e => e.Ph == "M" && e.Name == "thread_name" && e.Arg("name") == name).Tid!.Value;
        var (callerThread, setterThread, blockerThread) = (ThreadNamed("caller"), ThreadNamed("setter"), ThreadNamed("blocker"));

        // The inner method: its async slice, with the await that hopped from 'caller' to a pool thread nested in it.
        var innerId = events.Single(e => e.Ph == "b" && e.Name == nameof(InnerAsync)).Id;
        var outerId = events.Single(e => e.Ph == "b" && e.Name == nameof(OuterAsync)).Id;
        var inner = events.Where(e => e.Id == innerId && e.Ph is "b" or "e").ToList();
        var releaseTask = $"task {release.Task.Id}";
        Assert.Equal(
            [("b", nameof(InnerAsync), "tasks"), ("b", $"await {releaseTask}", "await"), ("e", $"await {releaseTask}", "await"), ("e", nameof(InnerAsync), "tasks")],
            inner.Select(e => (e.Ph, e.Name!, e.Cat!)));
        var poolThread = inner[2].Tid!.Value;
        Assert.Equal([callerThread, callerThread, poolThread, poolThread], inner.Select(e => e.Tid!.Value));
        Assert.NotEqual(callerThread, poolThread);

        // The outer method awaited the inner one on 'caller' and resumed on that pool thread: a hop too.
        Assert.Equal(
            [("b", nameof(OuterAsync), callerThread), ("b", $"await {nameof(InnerAsync)}", callerThread), ("e", $"await {nameof(InnerAsync)}", poolThread), ("e", nameof(OuterAsync), poolThread)],
            events.Where(e => e.Id == outerId && e.Ph is "b" or "e").Select(e => (e.Ph, e.Name!, e.Tid!.Value)));

        // 'setter' ran the release's completion; one flow goes from there to where the continuation ran.
        Assert.Equal(
            [("B", $"completion of {releaseTask}"), ("s", "continuation"), ("E", null)],
            events.Where(e => e.Tid == setterThread && e.Ph is "B" or "E" or "s").Select(e => (e.Ph, e.Name)));
        var flow = events.Single(e => e.Ph == "s" && e.Tid == setterThread);
        var landing = events.Single(e => e.Ph == "f" && e.Id == flow.Id);
        Assert.Equal(poolThread, landing.Tid);

        // On the pool thread the inner method's step runs, completes it, and runs the outer one inside.
        // The outer one's completion is a step of its own only if the blocked thread had registered to be
        // woken: Task.Wait spins before it does, so that depends on timing and both forms are right.
        var onPool = events.Where(e => e.Tid == poolThread && e.Ph is "B" or "E").ToList();
        var first = onPool.FindIndex(e => e.Ph == "B" && e.Name == nameof(InnerAsync));
        Assert.True(landing.Ts <= onPool[first].Ts, "the flow lands before the step it binds to");
        var depth = 0;
        var steps = onPool.Skip(first).TakeWhile((e, i) => i == 0 || depth > 0).Select(e =>
        {
            depth += e.Ph == "B" ? 1 : -1;
            return (e.Ph, e.Name);
        }).ToList();
        (string, string?)[] woken = [("B", nameof(InnerAsync)), ("B", $"completion of {nameof(InnerAsync)}"), ("B", nameof(OuterAsync)), ("B", $"completion of {nameof(OuterAsync)}"), ("E", null), ("E", null), ("E", null), ("E", null)];
        (string, string?)[] spun = [("B", nameof(InnerAsync)), ("B", $"completion of {nameof(InnerAsync)}"), ("B", nameof(OuterAsync)), ("E", null), ("E", null), ("E", null)];
        Assert.True(steps.SequenceEqual(woken) || steps.SequenceEqual(spun), string.Join(", ", steps));

        // 'blocker' blocked on the outer method's task: an instant marker on its track.
        var marker = Assert.Single(events, e => e.Ph == "i" && e.Tid == blockerThread);
        Assert.Equal(($"blocking wait on {nameof(OuterAsync)}", "blocking", outer!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), (marker.Name, marker.Cat, marker.Arg("task")));

        // The thread pool's counters: sampled at the start and at the stop at least.
        var counters = events.Where(e => e.Ph == "C" && e.Name == "thread pool").ToList();
        Assert.True(counters.Count >= 2, $"{counters.Count} counter samples");
        Assert.All(counters, c => Assert.True(c.Json.GetProperty("args").GetProperty("threads").GetDouble() > 0));
    }

    [Fact]
    public async Task A_task_group_and_its_children_are_async_slices_that_end_with_their_status()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        byte[] json;
        using (var recorder = TraceRecorder.Start(new TraceRecorderOptions { Causality = false }))
        {
            var group = TaskGroup.RunAsync(
                g =>
                {
                    g.Start(async _ => await release.Task, "a");
                    g.Start(_ => Task.CompletedTask, "b");
                    return Task.CompletedTask;
                },
                new TaskGroupOptions { Name = "app" });
            release.SetResult();
            await group;
            recorder.Stop();
            using var stream = new MemoryStream();
            recorder.WriteTo(stream);
            json = stream.ToArray();
        }

        var events = TraceJson.Read(json);
        TraceJson.AssertWellFormed(events);
        var braid = events.Where(e => e.Cat == "braid" && e.Ph is "b" or "e").ToList();
        var groupName = braid[0].Name!;
        Assert.Matches("^task group #[0-9]+ 'app'$", groupName);
        Assert.Equal(
            [("b", groupName), ("b", "child 'a'"), ("b", "child 'b'"), ("e", "child 'b'"), ("e", "child 'a'"), ("e", groupName)],
            braid.Select(e => (e.Ph, e.Name!)));
        Assert.All(braid.Where(e => e.Ph == "e"), e => Assert.Equal("RanToCompletion", e.Arg("status")));
        Assert.DoesNotContain(events, e => e.Cat == "tasks");
    }

    [Fact]
    public void Causality_mode_prints_its_measured_cost_when_it_starts_and_Braids_own_mode_does_not()
    {
        var notices = new StringWriter();
        using (TraceRecorder.Start(new TraceRecorderOptions { Notices = notices }))
        {
        }

        Assert.Equal(TraceRecorder.CausalityNotice + Environment.NewLine, notices.ToString());
        Assert.Contains("% CPU time", TraceRecorder.CausalityNotice, StringComparison.Ordinal);

        var quiet = new StringWriter();
        using (TraceRecorder.Start(new TraceRecorderOptions { Causality = false, Notices = quiet }))
        {
        }

        Assert.Empty(quiet.ToString());
    }

    [Fact]
    public async Task A_full_recorder_counts_what_it_drops_and_still_writes_a_well_formed_trace()
    {
        byte[] json;
        using (var recorder = TraceRecorder.Start(new TraceRecorderOptions { MaxEvents = 20, Notices = TextWriter.Null }))
        {
            for (var i = 0; i < 20; i++)
            {
                await OuterAsync(Task.Run(static () => { }));
            }

            recorder.Stop();
            Assert.Equal(20, recorder.RecordedEvents);
            Assert.True(recorder.DroppedEvents > 0);
            using var stream = new MemoryStream();
            recorder.WriteTo(stream);
            json = stream.ToArray();
        }

        TraceJson.AssertWellFormed(TraceJson.Read(json));
    }

    private static Thread Named(string name, Action body)
    {
        var thread = new Thread(() => body()) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task OuterAsync(Task release) => await InnerAsync(release);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task InnerAsync(Task release) => await release;
}
