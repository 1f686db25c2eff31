using System.Diagnostics.Tracing;

namespace Braid.Instrumentation;

/// <summary>
/// The <c>Braid</c> event source: every <see cref="BraidEvent"/> as an EventSource event, so
/// <c>dotnet-trace collect --providers Braid</c>, any EventPipe session and any in-process
/// <see cref="EventListener"/> see Braid with no code change. Event ids are the
/// <see cref="BraidEventKind"/> plus one and event names are the kind's name.
/// </summary>
/// <remarks>
/// Enabling or disabling the source recomputes the core's one instrumentation flag in
/// <see cref="OnEventCommand"/> (docs/design.md rule 124). Null strings are written as empty strings.
/// </remarks>
[EventSource(Name = SourceName)]
internal sealed class BraidEventSource : EventSource
{
    /// <summary>The provider name tools and listeners enable.</summary>
    public const string SourceName = "Braid";

    /// <summary>The one instance, created by <see cref="BraidInstrumentation"/>'s static constructor.</summary>
    public static readonly BraidEventSource Log = new();

    private BraidEventSource()
    {
    }

    /// <summary>Raises the event of <paramref name="braidEvent"/>'s kind if a session wants its level and keyword.</summary>
    [NonEvent]
    public void Write(in BraidEvent braidEvent)
    {
        if (!IsEnabled())
        {
            return;
        }

        var id = braidEvent.SourceId;
        var name = braidEvent.Name ?? string.Empty;
        var message = braidEvent.Message ?? string.Empty;
        var milliseconds = braidEvent.Duration.TotalMilliseconds;
        var error = braidEvent.Exception is AggregateException { InnerExceptions.Count: 1 } single ? single.InnerException : braidEvent.Exception;
        var errorType = error?.GetType().FullName ?? string.Empty;
        var errorMessage = error?.Message ?? string.Empty;
        switch (braidEvent.Kind)
        {
            case BraidEventKind.ChildStarted:
                ChildStarted(id, name);
                break;
            case BraidEventKind.ChildFinished:
                ChildFinished(id, name, message, errorType, errorMessage);
                break;
            case BraidEventKind.ScopeCancelled:
                ScopeCancelled(id, name, message);
                break;
            case BraidEventKind.StepRun:
                StepRun(id, name, milliseconds);
                break;
            case BraidEventKind.SlowStep:
                SlowStep(id, name, milliseconds, message);
                break;
            case BraidEventKind.UnobservedFault:
                UnobservedFault(id, name, message, errorType, errorMessage);
                break;
            case BraidEventKind.UnfinishedTask:
                UnfinishedTask(id, name, message);
                break;
            case BraidEventKind.BlockingWait:
                BlockingWait(id, name, message);
                break;
            case BraidEventKind.WaiterQueued:
                WaiterQueued(id, name);
                break;
            case BraidEventKind.WaiterReleased:
                WaiterReleased(id, name);
                break;
            case BraidEventKind.WaiterCancelled:
                WaiterCancelled(id, name);
                break;
            case BraidEventKind.GroupStarted:
                GroupStarted(id, name);
                break;
            case BraidEventKind.GroupFinished:
                GroupFinished(id, name, message, errorType, errorMessage);
                break;
        }
    }

    /// <summary>A task group started a child.</summary>
    [Event(1, Level = EventLevel.Informational, Keywords = Keywords.Structured, Message = "group {0} started child {1}")]
    public void ChildStarted(long groupId, string name) => WriteEvent(1, groupId, name);

    /// <summary>A child finished; <paramref name="status"/> is its task's status.</summary>
    [Event(2, Level = EventLevel.Informational, Keywords = Keywords.Structured, Message = "group {0}: child {1} finished {2} {3}")]
    public void ChildFinished(long groupId, string name, string status, string exceptionType, string exceptionMessage)
        => WriteEvent(2, new EventSourcePrimitive[] { groupId, name, status, exceptionType, exceptionMessage });

    /// <summary>A cancel scope or task group was cancelled, for <paramref name="reason"/>.</summary>
    [Event(3, Level = EventLevel.Informational, Keywords = Keywords.Structured, Message = "scope {0} {1} cancelled: {2}")]
    public void ScopeCancelled(long scopeId, string name, string reason) => WriteEvent(3, new EventSourcePrimitive[] { scopeId, name, reason });

    /// <summary>An event loop in debug mode ran one step.</summary>
    [Event(4, Level = EventLevel.Verbose, Keywords = Keywords.Loop, Message = "loop {0} ran a step in {2} ms")]
    public void StepRun(long loopId, string name, double durationMs) => WriteEvent(4, new EventSourcePrimitive[] { loopId, name, durationMs });

    /// <summary>An event loop step held the loop longer than the debug-mode threshold.</summary>
    [Event(5, Level = EventLevel.Warning, Keywords = Keywords.Loop, Message = "{3}")]
    public void SlowStep(long loopId, string name, double durationMs, string message) => WriteEvent(5, new EventSourcePrimitive[] { loopId, name, durationMs, message });

    /// <summary>A task faulted and nobody observed its exception.</summary>
    [Event(6, Level = EventLevel.Error, Keywords = Keywords.Faults, Message = "{2}")]
    public void UnobservedFault(long sourceId, string name, string message, string exceptionType, string exceptionMessage)
        => WriteEvent(6, new EventSourcePrimitive[] { sourceId, name, message, exceptionType, exceptionMessage });

    /// <summary>A task started on an event loop had not finished when the loop exited.</summary>
    [Event(7, Level = EventLevel.Warning, Keywords = Keywords.Faults | Keywords.Loop, Message = "{2}")]
    public void UnfinishedTask(long loopId, string name, string message) => WriteEvent(7, new EventSourcePrimitive[] { loopId, name, message });

    /// <summary>The loop thread blocked on an incomplete task.</summary>
    [Event(8, Level = EventLevel.Warning, Keywords = Keywords.Faults | Keywords.Loop, Message = "{2}")]
    public void BlockingWait(long loopId, string name, string message) => WriteEvent(8, new EventSourcePrimitive[] { loopId, name, message });

    /// <summary>A waiter queued on a primitive, queue or channel of kind <paramref name="primitive"/>.</summary>
    [Event(9, Level = EventLevel.Informational, Keywords = Keywords.Waiters, Message = "waiter queued on {1} {0}")]
    public void WaiterQueued(long primitiveId, string primitive) => WriteEvent(9, primitiveId, primitive);

    /// <summary>A queued waiter was handed what it waited for.</summary>
    [Event(10, Level = EventLevel.Informational, Keywords = Keywords.Waiters, Message = "waiter released by {1} {0}")]
    public void WaiterReleased(long primitiveId, string primitive) => WriteEvent(10, primitiveId, primitive);

    /// <summary>A queued waiter was cancelled and left without taking anything.</summary>
    [Event(11, Level = EventLevel.Informational, Keywords = Keywords.Waiters, Message = "waiter cancelled on {1} {0}")]
    public void WaiterCancelled(long primitiveId, string primitive) => WriteEvent(11, primitiveId, primitive);

    /// <summary>A task group opened.</summary>
    [Event(12, Level = EventLevel.Informational, Keywords = Keywords.Structured, Message = "group {0} {1} started")]
    public void GroupStarted(long groupId, string name) => WriteEvent(12, groupId, name);

    /// <summary>A task group closed; <paramref name="status"/> is its task's outcome.</summary>
    [Event(13, Level = EventLevel.Informational, Keywords = Keywords.Structured, Message = "group {0} {1} finished {2} {3}")]
    public void GroupFinished(long groupId, string name, string status, string exceptionType, string exceptionMessage)
        => WriteEvent(13, new EventSourcePrimitive[] { groupId, name, status, exceptionType, exceptionMessage });

    /// <inheritdoc/>
    protected override void OnEventCommand(EventCommandEventArgs command)
        => InstrumentationSwitch.SetEventSource(IsEnabled());

    /// <summary>The areas a session can pick (<c>--providers Braid:0x3</c> for structured and waiters).</summary>
    public static class Keywords
    {
        /// <summary>Task groups and cancel scopes: children started and finished, cancellations.</summary>
        public const EventKeywords Structured = (EventKeywords)0x1;

        /// <summary>Waiters queued, released and cancelled on primitives, queues and channels.</summary>
        public const EventKeywords Waiters = (EventKeywords)0x2;

        /// <summary>Event loops in debug mode: steps, slow steps, blocking waits, unfinished tasks.</summary>
        public const EventKeywords Loop = (EventKeywords)0x4;

        /// <summary>Faults and leaks: unobserved faults, blocking waits, unfinished tasks.</summary>
        public const EventKeywords Faults = (EventKeywords)0x8;
    }
}
