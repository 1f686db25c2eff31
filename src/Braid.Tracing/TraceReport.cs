using System.Globalization;
using System.Text;

namespace Braid.Tracing;

/// <summary>
/// What an EventPipe session of <see cref="ProcessTracer"/> saw: thread-pool starvation, lock contention,
/// wait-handle waits, the <c>System.Runtime</c> counters and Braid's events, and the verdict they add up to.
/// </summary>
public sealed class TraceReport
{
    internal TraceReport(TraceRecorder recorder, TimeSpan traced, int processId, bool causality)
    {
        ProcessId = processId;
        Traced = traced;
        Causality = causality;
        StarvationPeriods = recorder.StarvationPeriods();
        ThreadsAddedForStarvation = recorder.AddedForStarvation;
        ThreadsAddedForBlocking = recorder.AddedForBlocking;
        ContentionWaits = recorder.ContentionWaits;
        ContentionTime = recorder.ContentionTime;
        HotLocks = recorder.HotLocks();
        WaitHandleWaits = recorder.WaitHandleWaits;
        WaitHandleTime = recorder.WaitHandleTime;
        MaxQueueLength = recorder.MaxQueue;
        MinThreads = recorder.MinThreads;
        MaxThreads = recorder.MaxThreads;
        CompletedWorkItems = recorder.CompletedItems;
        BraidEvents = recorder.BraidEvents;
        TaskEvents = recorder.TaskEvents;
        BlockingSites = recorder.BlockingSites();
        SlowestAsyncOperations = recorder.SlowestOperations();
        Events = recorder.Events;
    }

    /// <summary>The traced process.</summary>
    public int ProcessId { get; }

    /// <summary>How long the session ran.</summary>
    public TimeSpan Traced { get; }

    /// <summary>Whether the causality profile (TPL task events) was on.</summary>
    public bool Causality { get; }

    /// <summary>Periods in which the runtime added pool threads because work waited (starvation) or pool threads blocked on tasks, offsets from the session's start.</summary>
    public IReadOnlyList<(TimeSpan Start, TimeSpan End)> StarvationPeriods { get; }

    /// <summary>Threads the runtime added for starvation (its adjustment reason 6).</summary>
    public int ThreadsAddedForStarvation { get; }

    /// <summary>Threads the runtime added because pool threads blocked on tasks (reason 8, cooperative blocking).</summary>
    public int ThreadsAddedForBlocking { get; }

    /// <summary>Contended <c>lock</c>/<c>Monitor</c> acquisitions.</summary>
    public long ContentionWaits { get; }

    /// <summary>Their summed duration.</summary>
    public TimeSpan ContentionTime { get; }

    /// <summary>
    /// The most contended locks (by lock id), most blocked time first, with the lock's type where the waiting
    /// thread's stack shows it (<c>System.Threading.Lock</c>, or <c>Monitor</c> for a <c>lock</c> on any other
    /// object, whose type the events do not carry) and the method that took it; <see langword="null"/> when the
    /// stack was not resolved. Locks taken only by the runtime's own threads are left out.
    /// </summary>
    public IReadOnlyList<(string Lock, long Waits, TimeSpan Time, string? Type, string? TakenIn)> HotLocks { get; }

    /// <summary>
    /// Where threads blocked in the user's code (on wait handles and contended locks), most blocked time first
    /// (the runtime's own threads, with no user frame on their stack, are left out): the blocking API,
    /// the method that called it and up to three callers further out, from the stack each wait's event carried
    /// ("Task.Result called from Starving.Handle ← Starving.Loop"); an async method is named as written, not as
    /// its state machine.
    /// </summary>
    public IReadOnlyList<(string Site, long Waits, TimeSpan Time)> BlockingSites { get; }

    /// <summary>
    /// The causality profile's awaits by awaiting method, the longest single await first: how many, the longest,
    /// their sum and how many were still pending when the trace ended (counted with their time so far). Empty
    /// without <see cref="Causality"/>.
    /// </summary>
    public IReadOnlyList<(string Awaiter, long Count, TimeSpan Longest, TimeSpan Total, long Pending)> SlowestAsyncOperations { get; }

    /// <summary>Waits on wait handles (<c>ManualResetEvent</c>, <c>Task.Wait</c>'s event, ...).</summary>
    public long WaitHandleWaits { get; }

    /// <summary>Their summed duration.</summary>
    public TimeSpan WaitHandleTime { get; }

    /// <summary>The longest thread-pool queue a counter sample saw.</summary>
    public long MaxQueueLength { get; }

    /// <summary>The fewest pool threads a counter sample saw.</summary>
    public long MinThreads { get; }

    /// <summary>The most pool threads a counter sample saw.</summary>
    public long MaxThreads { get; }

    /// <summary>Work items the pool completed while traced.</summary>
    public long CompletedWorkItems { get; }

    /// <summary>Braid's events (from its <c>Braid</c> event source) by name.</summary>
    public IReadOnlyDictionary<string, long> BraidEvents { get; }

    /// <summary>TPL task events seen (causality profile only).</summary>
    public long TaskEvents { get; }

    /// <summary>All events the session delivered.</summary>
    public long Events { get; }

    /// <summary>The verdict: one sentence naming what held the process back, then the figures behind it.</summary>
    /// <returns>The sentence.</returns>
    public string Verdict()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var starved = StarvationPeriods.Sum(p => (p.End - p.Start).TotalSeconds);
        if (StarvationPeriods.Count > 0)
        {
            text.Append(c, $"thread pool starved for {starved:F1} s in {StarvationPeriods.Count} period(s) (the runtime added {ThreadsAddedForStarvation} threads for starvation, {ThreadsAddedForBlocking} for blocked tasks; queue up to {MaxQueueLength}; threads {MinThreads} → {MaxThreads})");
        }
        else
        {
            text.Append(c, $"thread pool not starved over {SnapshotWriter.Format(Traced)} (queue up to {MaxQueueLength}; threads {MinThreads} → {MaxThreads})");
        }

        if (WaitHandleWaits > 0)
        {
            text.Append(c, $"; threads blocked {SnapshotWriter.Format(WaitHandleTime)} on wait handles ({WaitHandleWaits} waits)");
        }

        if (ContentionWaits > 0)
        {
            text.Append(c, $"; lock contention {SnapshotWriter.Format(ContentionTime)} ({ContentionWaits} waits");
            // Named only when the user's code holds a share of it: the runtime's own locks are left out of HotLocks.
            if (HotLocks.Count > 0 && HotLocks[0].Time.TotalMilliseconds * 100 / Math.Max(1e-9, ContentionTime.TotalMilliseconds) is >= 1 and var share)
            {
                text.Append(c, $", {share:F0}% on lock {LockName(HotLocks[0])}");
            }

            text.Append(')');
        }

        if (BlockingSites.Count > 0)
        {
            var top = BlockingSites[0];
            var blocked = BlockingSites.Sum(s => s.Time.TotalMilliseconds);
            text.Append(c, $"; {top.Time.TotalMilliseconds * 100 / Math.Max(1e-9, blocked):F0}% of blocked time in {SiteName(top.Site)}");
        }

        if (SlowestAsyncOperations.Count > 0)
        {
            var slow = SlowestAsyncOperations[0];
            text.Append(c, $"; slowest await in {slow.Awaiter} ({SnapshotWriter.Format(slow.Longest)}{(slow.Pending > 0 ? ", still pending" : string.Empty)})");
        }

        return text.ToString();
    }

    /// <summary>The verdict, then the figures one per line.</summary>
    /// <returns>The text, ending with a newline.</returns>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        if (Causality)
        {
            text.Append("causality profile on: TPL task events cost the traced program up to 95% of its async throughput; do not read its speed from this run\n");
        }

        text.Append("verdict: ").Append(Verdict()).Append('\n');
        foreach (var (start, end) in StarvationPeriods)
        {
            text.Append(c, $"  starved {start.TotalSeconds:F1} s → {end.TotalSeconds:F1} s\n");
        }

        foreach (var hot in HotLocks.Take(5))
        {
            text.Append(c, $"  lock {LockName(hot)}: {hot.Waits} waits, {SnapshotWriter.Format(hot.Time)}\n");
        }

        var blocked = BlockingSites.Sum(s => s.Time.TotalMilliseconds);
        foreach (var (site, waits, time) in BlockingSites.Take(5))
        {
            text.Append(c, $"  {time.TotalMilliseconds * 100 / Math.Max(1e-9, blocked),3:F0}%  {site} ({waits} waits, {SnapshotWriter.Format(time)})\n");
        }

        if (SlowestAsyncOperations.Count > 0)
        {
            text.Append("slowest async operations (longest await, by awaiting method):\n");
            foreach (var op in SlowestAsyncOperations.Take(5))
            {
                text.Append(c, $"  {op.Awaiter}: longest {SnapshotWriter.Format(op.Longest)}, {op.Count} awaits, {SnapshotWriter.Format(op.Total)} in all{(op.Pending > 0 ? string.Create(c, $", {op.Pending} still pending") : string.Empty)}\n");
            }
        }

        text.Append(c, $"pool: {CompletedWorkItems} work items completed, queue up to {MaxQueueLength}, threads {MinThreads} → {MaxThreads}\n");
        if (BraidEvents.Count > 0)
        {
            text.Append("braid: ").Append(string.Join(", ", BraidEvents.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => string.Create(c, $"{e.Key} {e.Value}")))).Append('\n');
        }

        if (Causality)
        {
            text.Append(c, $"tasks: {TaskEvents} TPL task events\n");
        }

        text.Append(c, $"traced process {ProcessId} for {SnapshotWriter.Format(Traced)}: {Events} events\n");
        return text.ToString();
    }

    private static string SiteName(string withCallers)
    {
        var arrow = withCallers.IndexOf(" ← ", StringComparison.Ordinal);
        return arrow > 0 ? withCallers[..arrow] : withCallers;
    }

    private static string LockName((string Lock, long Waits, TimeSpan Time, string? Type, string? TakenIn) hot) =>
        hot.Type is null && hot.TakenIn is null ? hot.Lock : $"{hot.Lock} ({hot.Type ?? "lock"}{(hot.TakenIn is null ? string.Empty : " in " + hot.TakenIn)})";
}
