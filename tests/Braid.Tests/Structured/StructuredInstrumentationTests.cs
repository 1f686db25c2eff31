using Braid.Instrumentation;
using Braid.Structured;

namespace Braid.Tests.Structured;

// Subscriptions are process-wide: these tests share the non-parallel instrumentation collection.
[Collection("InstrumentationCollection")]
public sealed class StructuredInstrumentationTests
{
    [Fact]
    public async Task A_group_raises_child_started_finished_and_cancelled_events()
    {
        var events = new List<BraidEvent>();
        TaskGroup? seen = null;
        using (BraidInstrumentation.Subscribe(e =>
        {
            lock (events)
            {
                events.Add(e);
            }
        }))
        {
            await Assert.ThrowsAsync<TaskGroupException>(() => TaskGroup.RunAsync(group =>
            {
                seen = group;
                group.Start(ct => Task.Delay(Timeout.InfiniteTimeSpan, ct), "waiter");
                group.Start(_ => throw new InvalidOperationException("boom"), "breaker");
                return Task.CompletedTask;
            }));
        }

        var mine = events.Where(e => e.SourceId == seen!.Id).ToList();
        Assert.Equal(["waiter", "breaker"], mine.Where(e => e.Kind == BraidEventKind.ChildStarted).Select(e => e.Name));
        Assert.Equal(2, mine.Count(e => e.Kind == BraidEventKind.ChildFinished));
        var cancelled = Assert.Single(mine, e => e.Kind == BraidEventKind.ScopeCancelled);
        Assert.Contains("'breaker' failed", cancelled.Message, StringComparison.Ordinal);
        Assert.NotNull(mine.Single(e => e.Kind == BraidEventKind.ChildFinished && e.Name == "breaker").Exception);
    }

    [Fact]
    public async Task A_scope_raises_scope_cancelled_with_its_reason()
    {
        var events = new List<BraidEvent>();
        CancelScope? seen = null;
        using (BraidInstrumentation.Subscribe(e =>
        {
            lock (events)
            {
                events.Add(e);
            }
        }))
        {
            await CancelScope.RunAsync(s =>
            {
                seen = s;
                s.Cancel("no longer needed");
                return Task.Delay(Timeout.InfiniteTimeSpan, s.CancellationToken);
            });
        }

        var cancelled = Assert.Single(events, e => e.SourceId == seen!.Id);
        Assert.Equal(BraidEventKind.ScopeCancelled, cancelled.Kind);
        Assert.Equal("no longer needed", cancelled.Message);
    }
}
