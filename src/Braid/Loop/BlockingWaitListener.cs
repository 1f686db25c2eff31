using System.Diagnostics.Tracing;
using System.Globalization;

namespace Braid.Loop;

/// <summary>
/// Detects a loop thread blocking on an incomplete task. The runtime's task event source raises
/// <c>TaskWaitBegin</c> with behaviour "synchronous" on the waiting thread, just before
/// <c>.Result</c>, <c>.Wait()</c> or <c>GetAwaiter().GetResult()</c> blocks; an in-process listener
/// receives it on that same thread, where <see cref="AsyncLoop.Current"/> tells whether it is a loop
/// in debug mode. Linux has no <c>SynchronizationContext.Wait</c> hook, so this is the portable way.
/// </summary>
/// <remarks>One listener is shared by every debug-mode loop, created by the first and disposed with the last.</remarks>
internal sealed class BlockingWaitListener : EventListener
{
    private const string TplSourceName = "System.Threading.Tasks.TplEventSource";
    private const EventKeywords TasksKeyword = (EventKeywords)2;
    private const int SynchronousWait = 1;

    private static readonly object Gate = new();
    private static BlockingWaitListener? s_instance;
    private static int s_users;

    public static IDisposable Acquire()
    {
        lock (Gate)
        {
            s_users++;
            s_instance ??= new BlockingWaitListener();
        }

        return new Lease();
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        // Called from the base constructor too, before this object's fields are set: use no fields.
        if (eventSource.Name == TplSourceName)
        {
            EnableEvents(eventSource, EventLevel.Informational, TasksKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName != "TaskWaitBegin" || eventData.Payload is not { Count: >= 4 } payload)
        {
            return;
        }

        if (AsyncLoop.Current is not { IsDebugMode: true } loop || !loop.IsLoopThread)
        {
            return;
        }

        if (Convert.ToInt32(payload[3], CultureInfo.InvariantCulture) != SynchronousWait)
        {
            return;
        }

        loop.ReportBlockingWait(Convert.ToInt32(payload[2], CultureInfo.InvariantCulture));
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
