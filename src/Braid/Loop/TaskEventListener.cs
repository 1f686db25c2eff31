using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Braid.Loop;

/// <summary>
/// Debug mode's view of the runtime's task events, in-process (the runtime's task event source, heard
/// by an <see cref="EventListener"/>, which receives each event on the thread that raised it):
/// <list type="bullet">
/// <item><c>TaskWaitBegin</c> with behaviour "synchronous" is raised on the waiting thread just before
/// <c>.Result</c>, <c>.Wait()</c> or <c>GetAwaiter().GetResult()</c> blocks; raised on a debug-mode
/// loop's thread, it is reported as a blocking wait. Linux has no <c>SynchronizationContext.Wait</c>
/// hook, so this is the portable way.</item>
/// <item><c>TraceOperationBegin</c> is raised when an async method first suspends (its task is created
/// then), on the thread running it; <c>TraceOperationEnd</c> when that task completes, wherever. An
/// async method that began on a debug-mode loop and has not ended when the loop exits is an unfinished
/// task, even if it never resumed on the loop (a wait on something that never came).</item>
/// </list>
/// </summary>
/// <remarks>
/// One listener is shared by every debug-mode loop, created by the first and disposed with the last.
/// While it lives, task events are on for the whole process, which costs every task a little: debug
/// mode is never on by default.
/// </remarks>
internal sealed class TaskEventListener : EventListener
{
    private const string TplSourceName = "System.Threading.Tasks.TplEventSource";
    private const EventKeywords TasksKeyword = (EventKeywords)2;
    private const EventKeywords AsyncCausalityOperationKeyword = (EventKeywords)8;
    private const int SynchronousWait = 1;
    private const string AsyncOperationPrefix = "Async: ";

    private static readonly object Gate = new();
    private static TaskEventListener? s_instance;
    private static int s_users;

    // Async methods that began on a debug-mode loop and have not ended: task id -> (loop, state machine name).
    private static readonly ConcurrentDictionary<int, (AsyncLoop Loop, string Name)> s_begun = new();

    public static IDisposable Acquire()
    {
        lock (Gate)
        {
            s_users++;
            s_instance ??= new TaskEventListener();
        }

        return new Lease();
    }

    /// <summary>
    /// Takes out of the listener the async methods that began on <paramref name="loop"/> and have not
    /// ended: their task ids and state-machine names ("&lt;FetchAsync&gt;d__4").
    /// </summary>
    public static List<(int TaskId, string Name)> TakeUnfinished(AsyncLoop loop)
    {
        var unfinished = new List<(int, string)>();
        foreach (var (id, (owner, name)) in s_begun)
        {
            if (ReferenceEquals(owner, loop) && s_begun.TryRemove(id, out _))
            {
                unfinished.Add((id, name));
            }
        }

        unfinished.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return unfinished;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        // Called from the base constructor too, before this object's fields are set: use no fields.
        if (eventSource.Name == TplSourceName)
        {
            EnableEvents(eventSource, EventLevel.Informational, TasksKeyword | AsyncCausalityOperationKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        switch (eventData.EventName)
        {
            case "TraceOperationEnd" when eventData.Payload is { Count: >= 1 } payload:
                s_begun.TryRemove(Convert.ToInt32(payload[0], CultureInfo.InvariantCulture), out _);
                return;
            case "TraceOperationBegin" when eventData.Payload is { Count: >= 2 } payload
                && AsyncLoop.Current is { IsDebugMode: true } loop && loop.IsLoopThread
                && payload[1] is string operation && operation.StartsWith(AsyncOperationPrefix, StringComparison.Ordinal):
                s_begun[Convert.ToInt32(payload[0], CultureInfo.InvariantCulture)] = (loop, operation[AsyncOperationPrefix.Length..]);
                return;
            case "TaskWaitBegin" when eventData.Payload is { Count: >= 4 } payload
                && AsyncLoop.Current is { IsDebugMode: true } loop && loop.IsLoopThread
                && Convert.ToInt32(payload[3], CultureInfo.InvariantCulture) == SynchronousWait:
                loop.ReportBlockingWait(Convert.ToInt32(payload[2], CultureInfo.InvariantCulture));
                return;
        }
    }

    private sealed class Lease : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            lock (Gate)
            {
                if (--s_users == 0)
                {
                    s_instance?.Dispose();
                    s_instance = null;
                }
            }
        }
    }
}
