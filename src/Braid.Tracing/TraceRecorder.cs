using System.Globalization;
using Braid.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing;

namespace Braid.Tracing;

/// <summary>
/// Folds an EventPipe session's events into the figures of a <see cref="TraceReport"/>, and, when given a
/// <see cref="ChromeTraceWriter"/>, into a Perfetto timeline: contention and wait-handle waits as slices on
/// their thread, thread injections and Braid's events as instants, the pool's threads and queue as counters.
/// Called on the session's one processing thread.
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
    private const int CooperativeBlockingReason = 8;

    private readonly Dictionary<int, (double At, string Lock)> _contending = [];
    private readonly Dictionary<int, double> _waiting = [];
    private readonly Dictionary<string, (long Waits, double Ms)> _locks = new(StringComparer.Ordinal);
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

    private int _lastThreadTarget;

    public void Handle(TraceEvent e)
    {
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
                break;
        }
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

    public IReadOnlyList<(string Lock, long Waits, TimeSpan Time)> HotLocks() =>
        [.. _locks.OrderByDescending(l => l.Value.Ms).Take(10).Select(l => (l.Key, l.Value.Waits, TimeSpan.FromMilliseconds(l.Value.Ms)))];

    private void OnRuntime(TraceEvent e)
    {
        var at = e.TimeStampRelativeMSec;
        switch ((int)e.ID)
        {
            case ThreadAdjustment:
                var reason = Number(e, "Reason");
                var target = (int)Number(e, "NewWorkerThreadCount");
                var added = Math.Max(0, target - _lastThreadTarget);
                _lastThreadTarget = target;
                if (reason is StarvationReason or CooperativeBlockingReason)
                {
                    var why = reason == StarvationReason ? "starvation" : "blocked tasks";
                    timeline?.WriteInstant(null, Ms(at), $"pool threads -> {target} ({why})", "thread pool");
                }

                if (reason == StarvationReason)
                {
                    AddedForStarvation += Math.Max(1, added);
                    _starvationAt.Add(at);
                }
                else if (reason == CooperativeBlockingReason)
                {
                    AddedForBlocking += Math.Max(1, added);
                    _starvationAt.Add(at);
                }

                break;
            case ContentionStart:
                var id = e.PayloadIndex("LockID") >= 0 ? Number(e, "LockID") : 0;
                _contending[e.ThreadID] = (at, "0x" + id.ToString("x", CultureInfo.InvariantCulture));
                break;
            case ContentionStop when _contending.Remove(e.ThreadID, out var start):
                var ms = at - start.At;
                timeline?.WriteSlice(e.ThreadID, Ms(start.At), Ms(ms), "lock contention", "contention", [new("lock", start.Lock)]);
                ContentionWaits++;
                _contentionMs += ms;
                var seen = _locks.GetValueOrDefault(start.Lock);
                _locks[start.Lock] = (seen.Waits + 1, seen.Ms + ms);
                break;
            case WaitHandleStart:
                _waiting[e.ThreadID] = at;
                break;
            case WaitHandleStop when _waiting.Remove(e.ThreadID, out var began):
                timeline?.WriteSlice(e.ThreadID, Ms(began), Ms(at - began), "wait handle", "blocking");
                WaitHandleWaits++;
                _waitHandleMs += at - began;
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
