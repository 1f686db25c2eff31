using System.Diagnostics.Tracing;

namespace Braid.Diagnostics;

/// <summary>
/// Hears the runtime's task events ("System.Threading.Tasks.TplEventSource") and its native events
/// ("Microsoft-Windows-DotNETRuntime": contention, wait handles, thread-pool adjustments) in process and
/// hands each to one sink.
/// </summary>
/// <remarks>
/// Two properties of <see cref="EventListener"/> shape this type. <see cref="OnEventSourceCreated"/> is
/// called from the base constructor for every source that already exists, before this constructor's
/// body has run: field initialisers have run by then (C# runs them before the base constructor), so the
/// sources seen that early are parked under a lock and enabled by the constructor. And events are
/// delivered on different threads: a managed source's (TPL) on the thread that raised it, the runtime's
/// native events on a dispatch thread of their own, so the sink must be thread-safe.
/// </remarks>
internal sealed class RuntimeEventListener : EventListener
{
    public const string TplSourceName = "System.Threading.Tasks.TplEventSource";
    public const string RuntimeSourceName = "Microsoft-Windows-DotNETRuntime";

    /// <summary>The TPL's task keyword: task waits (sync-over-async and awaits) and continuations.</summary>
    public const EventKeywords TasksKeyword = (EventKeywords)0x2;
    private const EventKeywords ContentionKeyword = (EventKeywords)0x4000;
    private const EventKeywords ThreadingKeyword = (EventKeywords)0x10000;
    private const EventKeywords WaitHandleKeyword = (EventKeywords)0x40000000000;

    private readonly object _gate = new();
    private readonly List<EventSource> _early = [];
    private Action<EventWrittenEventArgs>? _sink;
    private bool _waitHandles;
    private EventKeywords _tplKeywords;
    private bool _runtime;
    private volatile bool _closed;

    /// <param name="sink">Hears every event.</param>
    /// <param name="waitHandles">Whether to enable the runtime's wait-handle events.</param>
    /// <param name="tplKeywords">The TPL keywords to enable (task waits by default).</param>
    /// <param name="runtime">Whether to enable the runtime's native events at all.</param>
    public RuntimeEventListener(Action<EventWrittenEventArgs> sink, bool waitHandles, EventKeywords tplKeywords = TasksKeyword, bool runtime = true)
    {
        lock (_gate)
        {
            _sink = sink;
            _waitHandles = waitHandles;
            _tplKeywords = tplKeywords;
            _runtime = runtime;
            foreach (var source in _early)
            {
                Enable(source);
            }

            _early.Clear();
        }
    }

    public override void Dispose()
    {
        _closed = true;
        base.Dispose();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name is not (TplSourceName or RuntimeSourceName))
        {
            return;
        }

        lock (_gate)
        {
            if (_sink is null)
            {
                _early.Add(eventSource);
                return;
            }
        }

        Enable(eventSource);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (_closed || _sink is not { } sink)
        {
            return;
        }

        try
        {
            sink(eventData);
        }
        catch (Exception)
        {
            // An observer never changes what it observes (docs/design.md rule 102).
        }
    }

    private void Enable(EventSource source)
    {
        if (source.Name == TplSourceName)
        {
            // TaskWaitEnd, which times a synchronous wait, is a verbose event; TaskWaitBegin is informational.
            EnableEvents(source, EventLevel.Verbose, _tplKeywords);
        }
        else if (_runtime)
        {
            // Wait-handle events are raised at the verbose level only (.NET 8 and later).
            EnableEvents(
                source,
                _waitHandles ? EventLevel.Verbose : EventLevel.Informational,
                ContentionKeyword | ThreadingKeyword | (_waitHandles ? WaitHandleKeyword : EventKeywords.None));
        }
    }
}
