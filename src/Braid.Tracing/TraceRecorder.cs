using System.Globalization;
using Braid.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;

namespace Braid.Tracing;

/// <summary>
/// Folds an EventPipe session's events into the figures of a <see cref="TraceReport"/>, and, when given a
/// <see cref="ChromeTraceWriter"/>, into a Perfetto timeline: contention and wait-handle waits as slices on
/// their thread (with the blocking call site and its callers, from the stack the event carried), thread
/// injections and Braid's events as instants, the pool's threads and queue as counters, and under the causality
/// profile each await as an async slice with a flow from the thread that awaited to the one that resumed.
/// Called on one thread, in timestamp order (a <see cref="TraceLog"/>'s events).
/// </summary>
internal sealed class TraceRecorder(ChromeTraceWriter? timeline = null)
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const int ThreadAdjustment = 55;
    private const int ContentionStart = 81;
    private const int ContentionStop = 91;
    private const int WaitHandleStart = 301;
    private const int WaitHandleStop = 302;
    private const int StarvationReason = 6;
    private const int TaskWaitBegin = 10;
    private const int AsynchronousWait = 2;
    private const int CooperativeBlockingReason = 8;

    private readonly Dictionary<int, (double At, string Lock, StackNames.Site? Site)> _contending = [];
    private readonly Dictionary<int, (double At, StackNames.Site? Site)> _waiting = [];
    private readonly Dictionary<string, (long Waits, double Ms, StackNames.Site? Site)> _locks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Waits, double Ms, StackNames.Site Site)> _sites = new(StringComparer.Ordinal);
    private readonly Dictionary<long, (double At, int Thread, string Awaiter)> _awaits = [];
    private readonly Dictionary<string, (long Count, double MaxMs, double TotalMs, long Pending)> _operations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _taskEventNames = new(StringComparer.Ordinal);
    private readonly List<double> _starvationAt = [];
    private readonly Dictionary<string, long> _braid = new(StringComparer.Ordinal);
    private double _contentionMs;
    private double _waitHandleMs;

    public int AddedForStarvation { get; private set; }

    public int AddedForBlocking { get; private set; }

    public long ContentionWaits { get; private set; }

    public TimeSpan ContentionTime => TimeSpan.FromMilliseconds(_contentionMs);

    public long WaitHandleWaits { get; private set; }

    public TimeSpan WaitHandleTime => TimeSpan.FromMilliseconds(_waitHandleMs);

    public long MaxQueue { get; private set; }

    public long MinThreads { get; private set; } = long.MaxValue;

    public long MaxThreads { get; private set; }

    public long CompletedItems { get; private set; }

    public long TaskEvents { get; private set; }

    public long Events { get; private set; }

    public IReadOnlyDictionary<string, long> BraidEvents => _braid;

    public IReadOnlyDictionary<string, long> TaskEventNames => _taskEventNames;

    private int _lastThreadTarget;

    public void Handle(TraceEvent e)
    {
        if (e.ProviderName == "Microsoft-Windows-DotNETRuntimeRundown")
        {
            return; // the method names the stacks are resolved with, sent when the session stops
        }

        Events++;
        switch (e.ProviderName)
        {
            case RuntimeProvider:
                OnRuntime(e);
                break;
            case "System.Runtime" when e.EventName == "EventCounters":
                Counter(e);
                break;
            case "Braid":
                _braid[e.EventName] = _braid.GetValueOrDefault(e.EventName) + 1;
                timeline?.WriteInstant(e.ThreadID, Ms(e.TimeStampRelativeMSec), e.EventName, "braid");
                break;
            case "System.Threading.Tasks.TplEventSource":
                TaskEvents++;
                _taskEventNames[e.EventName] = _taskEventNames.GetValueOrDefault(e.EventName) + 1;
                OnTask(e);
                break;
        }
    }

    /// <summary>Ends the awaits still pending when the trace ended: they count with their time so far, as pending.</summary>
    public void Finish(double endMs)
    {
        foreach (var (task, wait) in _awaits)
        {
            Operation(wait.Awaiter, endMs - wait.At, pending: true);
            timeline?.EndAsyncSlice(task.ToString(CultureInfo.InvariantCulture), wait.Thread, Ms(endMs), $"await in {wait.Awaiter}", "task", [new("pending", "true")]);
        }

        _awaits.Clear();
    }

    /// <summary>
    /// Where threads blocked (wait handles and contended locks) in the user's code, most blocked time first; the
    /// runtime's own threads, whose stacks hold no user frame (its counters' poller, the pool's gate), are left out.
    /// </summary>
    public IReadOnlyList<(string Site, long Waits, TimeSpan Time)> BlockingSites() =>
        [.. _sites.Values.Where(s => s.Site.Caller != StackNames.FrameworkCode).OrderByDescending(s => s.Ms).Take(10).Select(s => (s.Site.WithCallers, s.Waits, TimeSpan.FromMilliseconds(s.Ms)))];

    /// <summary>The awaits (causality profile) by awaiting method, the longest single await first.</summary>
    public IReadOnlyList<(string Awaiter, long Count, TimeSpan Longest, TimeSpan Total, long Pending)> SlowestOperations() =>
        [.. _operations.OrderByDescending(o => o.Value.MaxMs).Take(10).Select(o => (o.Key, o.Value.Count, TimeSpan.FromMilliseconds(o.Value.MaxMs), TimeSpan.FromMilliseconds(o.Value.TotalMs), o.Value.Pending))];

    // An await registers its continuation with TaskWaitBegin (behavior: asynchronous) from the awaiting
    // method's MoveNext, so its stack names the awaiter; the awaited task's first later event that says it
    // is done or its continuation runs ends the await.
    private void OnTask(TraceEvent e)
    {
        if (e.PayloadIndex("TaskID") < 0)
        {
            return;
        }

        var task = Number(e, "TaskID");
        var at = e.TimeStampRelativeMSec;
        if ((int)e.ID == TaskWaitBegin)
        {
            if (Number(e, "Behavior") == AsynchronousWait && StackNames.Describe(Frames(e), callers: 0) is { } site)
            {
                _awaits[task] = (at, e.ThreadID, site.Caller);
                timeline?.BeginAsyncSlice(task.ToString(CultureInfo.InvariantCulture), e.ThreadID, Ms(at), $"await in {site.Caller}", "task");
                timeline?.StartFlow(task, e.ThreadID, Ms(at), "continuation", "task");
            }

            return;
        }

        if (e.EventName is "TaskCompleted" or "TaskWaitEnd" or "TaskWaitContinuationStarted" or "TaskWaitContinuationComplete" or "TraceOperationEnd"
            && _awaits.Remove(task, out var wait))
        {
            Operation(wait.Awaiter, at - wait.At, pending: false);
            timeline?.EndAsyncSlice(task.ToString(CultureInfo.InvariantCulture), e.ThreadID, Ms(at), $"await in {wait.Awaiter}", "task");
            timeline?.EndFlow(task, e.ThreadID, Ms(at), "continuation", "task");
        }
    }

    private void Operation(string awaiter, double ms, bool pending)
    {
        var seen = _operations.GetValueOrDefault(awaiter);
        _operations[awaiter] = (seen.Count + 1, Math.Max(seen.MaxMs, ms), seen.TotalMs + ms, seen.Pending + (pending ? 1 : 0));
    }

    private void Blocked(StackNames.Site? site, double ms)
    {
        if (site is null)
        {
            return;
        }

        var seen = _sites.GetValueOrDefault(site.Name);
        _sites[site.Name] = (seen.Waits + 1, seen.Ms + ms, seen.Site ?? site);
    }

    private static KeyValuePair<string, string>[] SiteArgs(StackNames.Site? site) =>
        site is null ? [] : [new("site", site.WithCallers), new("stack", string.Join('\n', site.Frames))];

    /// <summary>The managed frames of the stack the event carried, innermost first, resolved by the trace log; empty when it has none.</summary>
    private static List<string> Frames(TraceEvent e)
    {
        var frames = new List<string>();
        for (var frame = e.CallStack(); frame is not null && frames.Count < 64; frame = frame.Caller)
        {
            frames.Add(frame.CodeAddress.FullMethodName ?? string.Empty);
        }

        return frames;
    }

    public IReadOnlyList<(TimeSpan Start, TimeSpan End)> StarvationPeriods()
    {
        // Each injection answers about half a second of work waiting; injections within 1.5 s are one period.
        var periods = new List<(TimeSpan, TimeSpan)>();
        double? start = null;
        double end = 0;
        foreach (var at in _starvationAt.Order())
        {
            if (start is null || at - end > 1500)
            {
                if (start is not null)
                {
                    periods.Add((TimeSpan.FromMilliseconds(start.Value), TimeSpan.FromMilliseconds(end)));
                }

                start = Math.Max(0, at - 500);
            }

            end = at;
        }

        if (start is not null)
        {
            periods.Add((TimeSpan.FromMilliseconds(start.Value), TimeSpan.FromMilliseconds(end)));
        }

        return periods;
    }

    public IReadOnlyList<(string Lock, long Waits, TimeSpan Time, string? Type, string? TakenIn)> HotLocks() =>
        [.. _locks.Where(l => l.Value.Site?.Caller != StackNames.FrameworkCode).OrderByDescending(l => l.Value.Ms).Take(10).Select(l => (l.Key[..l.Key.IndexOf('|', StringComparison.Ordinal)], l.Value.Waits, TimeSpan.FromMilliseconds(l.Value.Ms), l.Value.Site?.LockType, l.Value.Site?.Caller))];

    private void OnRuntime(TraceEvent e)
    {
        var at = e.TimeStampRelativeMSec;
        switch ((int)e.ID)
        {
            case ThreadAdjustment:
                var reason = Number(e, "Reason");
                var target = (int)Number(e, "NewWorkerThreadCount");
                // The first adjustment seen has no earlier count to compare with: it stands for one thread.
                var added = _lastThreadTarget == 0 ? 1 : Math.Max(0, target - _lastThreadTarget);
                _lastThreadTarget = target;
                if (reason is StarvationReason or CooperativeBlockingReason)
                {
                    var why = reason == StarvationReason ? "starvation" : "blocked tasks";
                    timeline?.WriteInstant(null, Ms(at), $"pool threads -> {target} ({why})", "thread pool");
                }

                if (reason == StarvationReason)
                {
                    AddedForStarvation += added;
                    _starvationAt.Add(at);
                }
                else if (reason == CooperativeBlockingReason)
                {
                    AddedForBlocking += added;
                    _starvationAt.Add(at);
                }

                break;
            case ContentionStart:
                var id = e.PayloadIndex("LockID") >= 0 ? Number(e, "LockID") : 0;
                _contending[e.ThreadID] = (at, "0x" + id.ToString("x", CultureInfo.InvariantCulture), StackNames.Describe(Frames(e)));
                _waiting.Remove(e.ThreadID);
                break;
            case ContentionStop when _contending.Remove(e.ThreadID, out var start):
                var ms = at - start.At;
                timeline?.WriteSlice(e.ThreadID, Ms(start.At), Ms(ms), "lock contention", "contention", [new("lock", start.Lock), .. SiteArgs(start.Site)]);
                ContentionWaits++;
                _contentionMs += ms;
                // The id alone does not tell locks apart (this runtime reports 0 for many), so a lock is its id and where it is taken.
                var key = $"{start.Lock}|{start.Site?.LockType}|{start.Site?.Caller}";
                var seen = _locks.GetValueOrDefault(key);
                _locks[key] = (seen.Waits + 1, seen.Ms + ms, seen.Site ?? start.Site);
                Blocked(start.Site, ms);
                break;
            case WaitHandleStart when !_contending.ContainsKey(e.ThreadID):
                // A contended lock's own wait is its contention, counted once.
                _waiting[e.ThreadID] = (at, StackNames.Describe(Frames(e)));
                break;
            case WaitHandleStop when _waiting.Remove(e.ThreadID, out var began):
                timeline?.WriteSlice(e.ThreadID, Ms(began.At), Ms(at - began.At), "wait handle", "blocking", SiteArgs(began.Site));
                WaitHandleWaits++;
                _waitHandleMs += at - began.At;
                Blocked(began.Site, at - began.At);
                break;
        }
    }

    private void Counter(TraceEvent e)
    {
        if (e.PayloadValue(0) is not IDictionary<string, object> outer || !outer.TryGetValue("Payload", out var inner) || inner is not IDictionary<string, object> fields)
        {
            return;
        }

        var name = fields.TryGetValue("Name", out var counter) ? counter as string : null;
        var value = fields.TryGetValue("Mean", out var mean) ? Convert.ToDouble(mean, CultureInfo.InvariantCulture)
            : fields.TryGetValue("Increment", out var increment) ? Convert.ToDouble(increment, CultureInfo.InvariantCulture) : 0;
        if (name is "threadpool-queue-length" or "threadpool-thread-count")
        {
            timeline?.WriteCounter(Ms(e.TimeStampRelativeMSec), name == "threadpool-queue-length" ? "pool queue" : "pool threads", [new("value", value)]);
        }

        switch (name)
        {
            case "threadpool-queue-length":
                MaxQueue = Math.Max(MaxQueue, (long)value);
                break;
            case "threadpool-thread-count":
                MinThreads = Math.Min(MinThreads, (long)value);
                MaxThreads = Math.Max(MaxThreads, (long)value);
                break;
            case "threadpool-completed-items-count":
                CompletedItems += (long)value;
                break;
        }
    }

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    private static long Number(TraceEvent e, string name)
    {
        var value = e.PayloadByName(name);
        return value switch
        {
            null => 0,
            IConvertible convertible => convertible.ToInt64(CultureInfo.InvariantCulture),
            _ => 0,
        };
    }
}
