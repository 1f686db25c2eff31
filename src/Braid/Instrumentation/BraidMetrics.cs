using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Braid.Instrumentation;

/// <summary>
/// The <c>Braid</c> meter: counts of the core's <see cref="BraidEvent"/>s as observable counters, so
/// <c>dotnet-counters monitor --counters Braid</c> and OpenTelemetry see them with no code change.
/// </summary>
/// <remarks>
/// A meter cannot tell its producer that a listener enabled an instrument, and counting with nobody
/// listening would cost the hot paths more than one check (docs/design.md rule 124). So the counts
/// start when a collector first observes one of these instruments: that callback turns the core's
/// instrumentation flag on, and the next event raised once no listener has any of them enabled turns it
/// off again. Every instrument is therefore "since monitoring began", cumulative across monitoring
/// sessions and missing the gaps between them. There is no gauge of live children or queued waiters:
/// a child started, or a waiter queued, before monitoring began would end during it, and
/// started − finished would go negative.
/// </remarks>
internal static class BraidMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Braid";

    /// <summary>The tag carrying a waiter's primitive kind (<c>AsyncLock</c>, <c>AsyncSemaphore</c>, ...).</summary>
    public const string PrimitiveTag = "braid.primitive";

    private static readonly Meter Meter = new(MeterName);
    private static readonly long[] s_counts = new long[Enum.GetValues<BraidEventKind>().Length];
    private static readonly ConcurrentDictionary<string, long[]> s_waiters = new(StringComparer.Ordinal);
    private static Instrument[] s_instruments = [];

    /// <summary>Creates the instruments (once, from <see cref="BraidInstrumentation"/>'s static constructor).</summary>
    public static void Start() => s_instruments =
    [
        Counter("braid.task_group.started", BraidEventKind.GroupStarted, "{group}", "Task groups opened."),
        Counter("braid.task_group.finished", BraidEventKind.GroupFinished, "{group}", "Task groups closed (every child finished)."),
        Counter("braid.task_group.children.started", BraidEventKind.ChildStarted, "{child}", "Children started by task groups."),
        Counter("braid.task_group.children.finished", BraidEventKind.ChildFinished, "{child}", "Children of task groups that finished (completed, faulted or cancelled)."),
        Counter("braid.cancel_scope.cancelled", BraidEventKind.ScopeCancelled, "{scope}", "Cancel scopes and task groups whose cancellation was requested."),
        Waiters("braid.waiters.queued", BraidEventKind.WaiterQueued, "Waiters queued on a primitive, queue or channel, by primitive kind."),
        Waiters("braid.waiters.released", BraidEventKind.WaiterReleased, "Queued waiters handed what they waited for, by primitive kind."),
        Waiters("braid.waiters.cancelled", BraidEventKind.WaiterCancelled, "Queued waiters cancelled, by primitive kind."),
        Counter("braid.loop.steps", BraidEventKind.StepRun, "{step}", "Steps run by event loops in debug mode."),
        Counter("braid.loop.slow_steps", BraidEventKind.SlowStep, "{step}", "Loop steps longer than the debug-mode threshold."),
        Counter("braid.loop.blocking_waits", BraidEventKind.BlockingWait, "{wait}", "Loop threads blocked on an incomplete task (debug mode)."),
        Counter("braid.loop.unfinished_tasks", BraidEventKind.UnfinishedTask, "{task}", "Tasks still running when their loop exited (debug mode)."),
        Counter("braid.tasks.unobserved_faults", BraidEventKind.UnobservedFault, "{fault}", "Faults nobody observed."),
    ];

    /// <summary>Counts one event; called by <see cref="BraidInstrumentation.Raise"/> while the meter is observed.</summary>
    public static void Record(in BraidEvent braidEvent)
    {
        if (!AnyInstrumentEnabled())
        {
            // Every collector has left: turn the flag off until the next one observes.
            InstrumentationSwitch.SetMetrics(false);
            return;
        }

        var kind = braidEvent.Kind;
        if (kind is BraidEventKind.WaiterQueued or BraidEventKind.WaiterReleased or BraidEventKind.WaiterCancelled)
        {
            var counts = s_waiters.GetOrAdd(braidEvent.Name ?? "unknown", static _ => new long[3]);
            Interlocked.Increment(ref counts[kind - BraidEventKind.WaiterQueued]);
        }
        else if ((uint)kind < (uint)s_counts.Length)
        {
            Interlocked.Increment(ref s_counts[(int)kind]);
        }
    }

    private static bool AnyInstrumentEnabled()
    {
        foreach (var instrument in s_instruments)
        {
            if (instrument.Enabled)
            {
                return true;
            }
        }

        return false;
    }

    private static void Observed()
    {
        if (!InstrumentationSwitch.Metrics)
        {
            InstrumentationSwitch.SetMetrics(true);
        }
    }

    private static ObservableCounter<long> Counter(string name, BraidEventKind kind, string unit, string description)
        => Meter.CreateObservableCounter(
            name,
            () =>
            {
                Observed();
                return Volatile.Read(ref s_counts[(int)kind]);
            },
            unit,
            description);

    private static ObservableCounter<long> Waiters(string name, BraidEventKind kind, string description)
        => Meter.CreateObservableCounter(
            name,
            () =>
            {
                Observed();
                var index = kind - BraidEventKind.WaiterQueued;
                var measurements = new List<Measurement<long>>(s_waiters.Count);
                foreach (var (primitive, counts) in s_waiters)
                {
                    measurements.Add(new(Volatile.Read(ref counts[index]), new KeyValuePair<string, object?>(PrimitiveTag, primitive)));
                }

                return measurements;
            },
            "{waiter}",
            description);
}
