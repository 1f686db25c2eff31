using System.Diagnostics.Tracing;
using System.Globalization;
using Braid.Instrumentation;

namespace Braid.Diagnostics.Tracing;

/// <summary>
/// Records what the process does into a Chrome/Perfetto trace: a track per thread with what ran on it
/// (async methods' steps and their completions), async slices for async methods and for the awaits that
/// hopped threads, flow arrows from where a continuation was scheduled to where it ran, Braid's task
/// groups and children, counter tracks of the thread pool's threads and queue, and instant markers for
/// blocking calls and Braid's waiters.
/// </summary>
/// <remarks>
/// <para>
/// A session (docs/design.md rule 120): <see cref="Start"/> begins recording and <see cref="Dispose"/>
/// (or <see cref="Stop"/>) ends it; <see cref="WriteTo"/> writes the trace, at any time, also after
/// disposal. Open the file in <c>ui.perfetto.dev</c> or <c>chrome://tracing</c>.
/// </para>
/// <para>
/// What ran on each thread comes from the TPL's causality events (<see cref="TraceRecorderOptions.Causality"/>),
/// which turn on task events for the whole process while the recorder runs; Braid's groups, children
/// and waiters come from the core's instrumentation hook (docs/design.md rule 102). Threads are
/// managed thread ids. What began before the recorder started and ends during it is left out, and what
/// is still open when it stops is closed at the stop with <c>unfinished: true</c>.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// using (var recorder = TraceRecorder.Start())
/// {
///     await RunTheServiceAsync();
///     recorder.Stop();
///     using var file = File.Create("trace.json");
///     recorder.WriteTo(file);
/// }
/// </code>
/// </example>
public sealed class TraceRecorder : IDisposable
{
    private const EventKeywords AsyncCausalityOperation = (EventKeywords)0x8;
    private const EventKeywords AsyncCausalitySynchronousWork = (EventKeywords)0x20;

    /// <summary>What the recorder prints when it starts with causality on (see <see cref="TraceRecorderOptions.Notices"/>).</summary>
    public const string CausalityNotice =
        "braid trace: causality on: the runtime raises task events for every task in the process while recording; "
        + "measured (bench/Braid.DiagnosticsOverhead, provisional): about +12% CPU time on a CPU-heavy async workload, "
        + "about 1.2 us of CPU a child on a group of 100,000 synchronous children (15 ns with nothing listening).";

    private readonly Lock _gate = new();
    private readonly List<TraceRecord> _records = [];
    private readonly HashSet<int> _threads = [];
    private readonly TraceRecorderOptions _options;
    private readonly TimeProvider _clock;
    private readonly long _started;
    private IDisposable? _subscription;
    private RuntimeEventListener? _listener;
    private ITimer? _timer;
    private long _dropped;
    private TimeSpan _lastSample = TimeSpan.MinValue;
    private bool _stopped;

    private TraceRecorder(TraceRecorderOptions options)
    {
        _options = options;
        _clock = options.TimeProvider;
        _started = _clock.GetTimestamp();
    }

    /// <summary>Events heard while the recorder was full (<see cref="TraceRecorderOptions.MaxEvents"/>), not recorded.</summary>
    public long DroppedEvents => Interlocked.Read(ref _dropped);

    /// <summary>How many raw events were recorded so far.</summary>
    public int RecordedEvents
    {
        get
        {
            lock (_gate)
            {
                return _records.Count;
            }
        }
    }

    /// <summary>Starts recording. Completes synchronously.</summary>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <returns>The recorder; dispose it to stop.</returns>
    public static TraceRecorder Start(TraceRecorderOptions? options = null)
    {
        options ??= new TraceRecorderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.CounterInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxEvents);
        var recorder = new TraceRecorder(options);
        recorder.Sample();
        recorder._subscription = BraidInstrumentation.Subscribe(recorder.OnBraidEvent);
        if (options.Causality)
        {
            var notices = options.Notices ?? Console.Error;
            notices.WriteLine(CausalityNotice);
            recorder._listener = new RuntimeEventListener(
                recorder.OnTaskEvent,
                waitHandles: false,
                RuntimeEventListener.TasksKeyword | AsyncCausalityOperation | AsyncCausalitySynchronousWork,
                runtime: false);
        }

        recorder._timer = options.TimeProvider.CreateTimer(static state => ((TraceRecorder)state!).Sample(), recorder, options.CounterInterval, options.CounterInterval);
        return recorder;
    }

    /// <summary>Stops recording (idempotent); what was recorded stays for <see cref="WriteTo"/>. Completes synchronously.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
        }

        _timer?.Dispose();
        _subscription?.Dispose();
        _listener?.Dispose();
        Sample();
        lock (_gate)
        {
            _stopped = true;
        }
    }

    /// <summary>Stops recording; see <see cref="Stop"/>.</summary>
    public void Dispose() => Stop();

    /// <summary>
    /// Writes the trace recorded so far as Chrome trace-event JSON. Completes synchronously; can be
    /// called while recording (the trace then ends at the call) and after <see cref="Stop"/>.
    /// </summary>
    /// <param name="stream">Where to write; left open.</param>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        TraceRecord[] records;
        TimeSpan end;
        lock (_gate)
        {
            records = [.. _records];
            end = records.Length > 0 ? records[^1].Time : TimeSpan.Zero;
        }

        using var writer = new ChromeTraceWriter(stream, Environment.ProcessId, "Braid trace", leaveOpen: true);
        TraceTranslator.Write(records, end, writer);
    }

    private void OnBraidEvent(BraidEvent e)
    {
        var record = e.Kind switch
        {
            BraidEventKind.GroupStarted => new TraceRecord(TraceRecordKind.GroupStarted, 0, default, e.SourceId, Name: e.Name),
            BraidEventKind.GroupFinished => new TraceRecord(TraceRecordKind.GroupFinished, 0, default, e.SourceId, Name: e.Name, Detail: e.Message),
            BraidEventKind.ChildStarted => new TraceRecord(TraceRecordKind.ChildStarted, 0, default, e.SourceId, Name: e.Name),
            BraidEventKind.ChildFinished => new TraceRecord(TraceRecordKind.ChildFinished, 0, default, e.SourceId, Name: e.Name, Detail: e.Message),
            BraidEventKind.WaiterQueued => new TraceRecord(TraceRecordKind.Waiter, 0, default, e.SourceId, Name: e.Name, Detail: "queued"),
            BraidEventKind.WaiterReleased => new TraceRecord(TraceRecordKind.Waiter, 0, default, e.SourceId, Name: e.Name, Detail: "released"),
            BraidEventKind.WaiterCancelled => new TraceRecord(TraceRecordKind.Waiter, 0, default, e.SourceId, Name: e.Name, Detail: "cancelled"),
            BraidEventKind.BlockingWait => new TraceRecord(TraceRecordKind.LoopBlocked, 0, default, e.SourceId, Name: e.Name),
            _ => default(TraceRecord?),
        };
        if (record is { } r)
        {
            Add(r);
        }
    }

    private void OnTaskEvent(EventWrittenEventArgs e)
    {
        var payload = e.Payload;
        if (payload is null)
        {
            return;
        }

        // The TPL's event ids and payloads (TplEventSource); see docs/diagnostics.md.
        TraceRecord? record = e.EventId switch
        {
            7 => new TraceRecord(TraceRecordKind.TaskScheduled, 0, default, Int(payload[2])),
            10 when Int(payload[3]) == 1 => new TraceRecord(TraceRecordKind.Blocked, 0, default, Int(payload[2])),
            10 when Int(payload[3]) == 2 => new TraceRecord(TraceRecordKind.AwaitBegin, 0, default, Int(payload[2]), Int(payload[4])),
            11 => new TraceRecord(TraceRecordKind.WaitEnd, 0, default, Int(payload[2])),
            12 => new TraceRecord(TraceRecordKind.ContinuationScheduled, 0, default, Int(payload[2])),
            13 => new TraceRecord(TraceRecordKind.ContinuationEnd, 0, default, Int(payload[0])),
            14 => new TraceRecord(TraceRecordKind.OperationBegin, 0, default, Int(payload[0]), Name: payload[1] as string),
            15 => new TraceRecord(TraceRecordKind.OperationEnd, 0, default, Int(payload[0])),
            17 => new TraceRecord(TraceRecordKind.WorkBegin, 0, default, Int(payload[0]), Int(payload[1])),
            18 => new TraceRecord(TraceRecordKind.WorkEnd, 0, default),
            19 => new TraceRecord(TraceRecordKind.ContinuationStarted, 0, default, Int(payload[0])),
            _ => null,
        };
        if (record is { } r)
        {
            Add(r);
        }
    }

    private static long Int(object? value) => value is null ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);

    private void Sample() => Add(new TraceRecord(TraceRecordKind.Counter, 0, default, ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount));

    private void Add(TraceRecord record)
    {
        var thread = Environment.CurrentManagedThreadId;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            // A thread seen for the first time adds its name record too: both fit, or neither is kept.
            var newThread = record.Kind != TraceRecordKind.Counter && !_threads.Contains(thread);
            if (_records.Count + (newThread ? 2 : 1) > _options.MaxEvents)
            {
                _dropped++;
                return;
            }

            // The time is read under the lock, so the records are in the order of their times.
            var time = _clock.GetElapsedTime(_started);
            if (newThread)
            {
                _threads.Add(thread);
                var current = Thread.CurrentThread;
                _records.Add(new TraceRecord(TraceRecordKind.Thread, thread, time, Name: current.Name ?? (current.IsThreadPoolThread ? "pool thread" : "thread")));
            }

            _records.Add(record with { Thread = thread, Time = time });

            // The timer runs on the thread pool, which cannot run it while it is starved: any event
            // heard after a sampling interval samples too (the runtime's threads keep raising them).
            if (record.Kind == TraceRecordKind.Counter)
            {
                _lastSample = time;
            }
            else if (time - _lastSample >= _options.CounterInterval && _records.Count < _options.MaxEvents)
            {
                _lastSample = time;
                _records.Add(new TraceRecord(TraceRecordKind.Counter, thread, time, ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount));
            }
        }
    }
}
