using Braid.Instrumentation;

namespace Braid.Tests.Instrumentation;

// Subscriptions are process-wide: tests that subscribe must not run beside each other.
[Collection(nameof(InstrumentationCollection))]
public sealed class BraidInstrumentationTests
{
    [Fact]
    public void Raise_reaches_every_subscriber_until_it_unsubscribes()
    {
        var seenA = new List<BraidEvent>();
        var seenB = new List<BraidEvent>();
        var a = BraidInstrumentation.Subscribe(e => { lock (seenA) { seenA.Add(e); } });
        using (BraidInstrumentation.Subscribe(e => { lock (seenB) { seenB.Add(e); } }))
        {
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.StepRun, 7, "first"));
            a.Dispose();
            a.Dispose(); // idempotent
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.StepRun, 7, "second"));
        }

        Assert.Equal(["first"], seenA.Where(e => e.SourceId == 7).Select(e => e.Name));
        Assert.Equal(["first", "second"], seenB.Where(e => e.SourceId == 7).Select(e => e.Name));
    }

    [Fact]
    public void A_throwing_listener_changes_nothing_for_the_others()
    {
        var seen = 0;
        using var bad = BraidInstrumentation.Subscribe(_ => throw new InvalidOperationException("listener bug"));
        using var good = BraidInstrumentation.Subscribe(e => { if (e.SourceId == 8) { Interlocked.Increment(ref seen); } });
        BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.WaiterQueued, 8));
        Assert.Equal(1, seen);
        Assert.True(BraidInstrumentation.IsEnabled);
    }
}

[CollectionDefinition(nameof(InstrumentationCollection), DisableParallelization = true)]
public sealed class InstrumentationCollection;
