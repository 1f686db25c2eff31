using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Braid.Diagnostics;

/// <summary>
/// Sees blocking calls in this process, as far as .NET tells in process: sync-over-async
/// (<c>.Result</c>, <c>.Wait()</c>, <c>GetAwaiter().GetResult()</c>) with the calling method and its
/// stack, lock contention with the lock and its owner, and optionally wait handles; and sums the
/// blocked time per call site.
/// </summary>
/// <remarks>
/// <para>Start one with <see cref="Start"/> and dispose it to stop. While it runs, the runtime's task
/// events are on for the whole process, so every task pays for an event (unmeasured; see
/// docs/diagnostics.md), and each sync-over-async wait captures a stack trace.</para>
/// <para><c>Thread.Sleep</c>, blocking I/O and CPU-bound loops raise no event: a
/// <see cref="StarvationMonitor"/> infers them from its heartbeat's lag.</para>
/// </remarks>
public sealed class BlockingDetector : IDisposable, IAsyncDisposable
{
    private const int SynchronousWait = 1;
    private const int MonitorWaitSource = 1;
    private const string AmbiguousApi = "Task.Result/Wait";


    private readonly BlockingDetectorOptions _options;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<string, SiteTotals> _sites = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _apiByCaller = new(StringComparer.Ordinal);
    private readonly Dictionary<(long Thread, int Task), (string Site, long Start)> _taskWaits = [];
    private readonly Dictionary<long, string> _contentions = [];
    private readonly Dictionary<long, DateTime> _handleWaits = [];
    private readonly Dictionary<long, (DateTime Begin, DateTime? End)> _lastTaskWait = [];
    private readonly RuntimeEventListener _listener;
    private readonly bool _poolThreadsOnly;
    private int _disposed;

    private BlockingDetector(BlockingDetectorOptions options, Action<int, int>? onAdjustment)
    {
        _poolThreadsOnly = onAdjustment is not null;
        _options = options;
        _time = options.TimeProvider;
        OnAdjustment = onAdjustment;
        _listener = new RuntimeEventListener(OnEvent, options.IncludeWaitHandles);
    }

    private Action<int, int>? OnAdjustment { get; }

    /// <summary>Starts watching for blocking calls in this process; dispose the result to stop.</summary>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The running detector. Starting completes synchronously; nothing here takes a token.</returns>
    public static BlockingDetector Start(BlockingDetectorOptions? options = null) => new(options ?? new BlockingDetectorOptions(), null);

    /// <summary>
    /// The blocked time seen so far, per call site, the most blocked first. A wait still in progress
    /// counts up to now. Completes synchronously; safe to call from any thread.
    /// </summary>
    /// <returns>A snapshot; later blocking calls do not change it.</returns>
    public IReadOnlyList<BlockingCallSite> GetCallSites()
    {
        var now = _time.GetTimestamp();
        List<(BlockingKind Kind, string Name, int Count, TimeSpan Time)> rows;
        lock (_gate)
        {
            var ongoing = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
            foreach (var (site, start) in _taskWaits.Values)
            {
                ongoing[site] = ongoing.GetValueOrDefault(site) + _time.GetElapsedTime(start, now);
            }

            rows = [.. _sites.Select(s => (s.Value.Kind, s.Key, s.Value.Count, s.Value.Time + ongoing.GetValueOrDefault(s.Key)))];
        }

        var total = rows.Sum(r => r.Time.Ticks);
        return [.. rows
            .OrderByDescending(r => r.Time)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .Select(r => new BlockingCallSite(r.Kind, r.Name, r.Count, r.Time, total == 0 ? 0 : (double)r.Time.Ticks / total))];
    }

    /// <summary>Stops watching. Idempotent; completes synchronously.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _listener.Dispose();
        }
    }

    /// <summary>Stops watching, as <see cref="Dispose"/>; completes synchronously.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A starvation monitor's detector: it also hears the pool's thread adjustments, and skips task waits off the pool.</summary>
    internal static BlockingDetector StartWithAdjustments(BlockingDetectorOptions options, Action<int, int> onAdjustment) => new(options, onAdjustment);

    // Payload fields are typed by the event manifest: ints, doubles, and pointer-sized ids (IntPtr,
    // UInt64), which Convert.ChangeType refuses.
    private static T Payload<T>(EventWrittenEventArgs e, string name)
    {
        var index = e.PayloadNames?.IndexOf(name) ?? -1;
        object? value = index >= 0 && e.Payload is { } payload && index < payload.Count ? payload[index] : null;
        value = value switch
        {
            nint pointer => (long)pointer,
            nuint pointer => unchecked((long)(ulong)pointer),
            ulong big => unchecked((long)big),
            _ => value,
        };
        return value is null ? default! : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
    }

    private void OnEvent(EventWrittenEventArgs e)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        switch (e.EventName)
        {
            case "TaskWaitBegin" when Payload<int>(e, "Behavior") == SynchronousWait:
                OnTaskWaitBegin(e);
                break;
            case "TaskWaitEnd":
                OnTaskWaitEnd(e);
                break;
            case "ContentionStart":
                OnContentionStart(e);
                break;
            case "ContentionStop":
                OnContentionStop(e);
                break;
            case "WaitHandleWaitStart":
                OnWaitHandleStart(e);
                break;
            case "WaitHandleWaitStop":
                OnWaitHandleStop(e);
                break;
            case "ThreadPoolWorkerThreadAdjustmentAdjustment":
                OnAdjustment?.Invoke(Payload<int>(e, "Reason"), Payload<int>(e, "NewWorkerThreadCount"));
                break;
        }
    }

    // Raised on the blocking thread just before it blocks: its stack names the caller.
    private void OnTaskWaitBegin(EventWrittenEventArgs e)
    {
        if (_options.IncludeWaitHandles)
        {
            lock (_gate)
            {
                _lastTaskWait[e.OSThreadId] = (e.TimeStamp, null);
            }
        }

        if (_poolThreadsOnly && !Thread.CurrentThread.IsThreadPoolThread)
        {
            // A starvation monitor's detector: a wait off the pool (Main blocking on the async entry
            // point) holds no pool thread.
            return;
        }

        var taskId = Payload<int>(e, "TaskID");
        var (api, caller, stack) = CallSiteNamer.Describe(new StackTrace(fNeedFileInfo: false));
        string site;
        lock (_gate)
        {
            // A site is its calling method. Once the JIT inlines the public entry point (Result, Wait)
            // into a hot caller only the task's internal wait is left on the stack: the API seen on
            // the caller's earlier, complete stacks names it then.
            if (api is null)
            {
                api = _apiByCaller.GetValueOrDefault(caller, AmbiguousApi);
            }
            else
            {
                _apiByCaller.TryAdd(caller, api);
            }

            site = $"{_apiByCaller.GetValueOrDefault(caller, api)} called from {caller}";
            if (!_sites.ContainsKey(site) && _sites.Remove($"{AmbiguousApi} called from {caller}", out var earlier))
            {
                _sites[site] = earlier;
                foreach (var (key, wait) in _taskWaits.Where(w => w.Value.Site == $"{AmbiguousApi} called from {caller}").ToList())
                {
                    _taskWaits[key] = (site, wait.Start);
                }
            }

            _taskWaits[(e.OSThreadId, taskId)] = (site, _time.GetTimestamp());
            Count(BlockingKind.SyncOverAsync, site);
        }

        Report(new BlockingEvent(BlockingKind.SyncOverAsync, site, e.OSThreadId)
        {
            ManagedThreadId = Environment.CurrentManagedThreadId,
            CallingMethod = caller,
            BlockingApi = api,
            StackTrace = stack,
            TaskId = taskId,
        });
    }

    private void OnTaskWaitEnd(EventWrittenEventArgs e)
    {
        var key = (e.OSThreadId, Payload<int>(e, "TaskID"));
        lock (_gate)
        {
            if (_lastTaskWait.TryGetValue(e.OSThreadId, out var span) && span.End is null)
            {
                _lastTaskWait[e.OSThreadId] = (span.Begin, e.TimeStamp);
            }

            if (_taskWaits.Remove(key, out var wait))
            {
                _sites[wait.Site].Time += _time.GetElapsedTime(wait.Start);
            }
        }
    }

    // The runtime's native events arrive on its dispatch thread: no stack of the waiting thread here.
    private void OnContentionStart(EventWrittenEventArgs e)
    {
        var lockId = Payload<long>(e, "LockID");
        var site = string.Create(CultureInfo.InvariantCulture, $"lock 0x{lockId:x}");
        lock (_gate)
        {
            _contentions[e.OSThreadId] = site;
            Count(BlockingKind.MonitorContention, site);
        }

        Report(new BlockingEvent(BlockingKind.MonitorContention, site, e.OSThreadId)
        {
            LockId = lockId,
            OwnerOsThreadId = Payload<long>(e, "LockOwnerThreadID"),
        });
    }

    private void OnContentionStop(EventWrittenEventArgs e)
    {
        var duration = TimeSpan.FromTicks((long)(Payload<double>(e, "DurationNs") / 100));
        lock (_gate)
        {
            if (_contentions.Remove(e.OSThreadId, out var site))
            {
                _sites[site].Time += duration;
            }
        }
    }

    private void OnWaitHandleStart(EventWrittenEventArgs e)
    {
        lock (_gate)
        {
            // A task wait blocks in Monitor.Wait, whose event arrives later, from the dispatch thread,
            // maybe after the task wait has ended: its time is the sync-over-async site's already.
            if (Payload<int>(e, "WaitSource") == MonitorWaitSource
                && _lastTaskWait.TryGetValue(e.OSThreadId, out var span)
                && e.TimeStamp >= span.Begin
                && (span.End is not { } end || e.TimeStamp <= end))
            {
                return;
            }

            _handleWaits[e.OSThreadId] = e.TimeStamp;
        }
    }

    private void OnWaitHandleStop(EventWrittenEventArgs e)
    {
        const string site = "wait handle";
        TimeSpan duration;
        lock (_gate)
        {
            if (!_handleWaits.Remove(e.OSThreadId, out var start) || (duration = e.TimeStamp - start) < _options.WaitHandleThreshold)
            {
                return;
            }

            Count(BlockingKind.WaitHandle, site);
            _sites[site].Time += duration;
        }

        Report(new BlockingEvent(BlockingKind.WaitHandle, site, e.OSThreadId) { Duration = duration });
    }

    private void Count(BlockingKind kind, string site)
    {
        if (!_sites.TryGetValue(site, out var totals))
        {
            _sites[site] = totals = new SiteTotals(kind);
        }

        totals.Count++;
    }

    private void Report(BlockingEvent blocking)
    {
        try
        {
            _options.OnBlocked?.Invoke(blocking);
        }
        catch (Exception)
        {
            // A listener never changes the behaviour it observes (docs/design.md rule 102).
        }
    }

    private sealed class SiteTotals(BlockingKind kind)
    {
        public BlockingKind Kind { get; } = kind;

        public int Count { get; set; }

        public TimeSpan Time { get; set; }
    }
}
