namespace Braid.Diagnostics;

/// <summary>
/// What kind of blocking call a <see cref="BlockingEvent"/> or <see cref="BlockingCallSite"/> describes,
/// which also says how much the runtime tells about it in process (docs/diagnostics.md).
/// </summary>
public enum BlockingKind
{
    /// <summary>
    /// A thread waited synchronously on an incomplete task (<c>.Result</c>, <c>.Wait()</c>,
    /// <c>GetAwaiter().GetResult()</c>). Seen on the blocking thread itself, so the calling method and the
    /// awaited task id are known.
    /// </summary>
    SyncOverAsync,

    /// <summary>
    /// A thread waited to enter a contended lock (<c>lock</c>, <c>Monitor.Enter</c>). Seen from the
    /// runtime's event thread: the waiting thread, the lock
    /// and its owner are known, the calling method is not.
    /// </summary>
    MonitorContention,

    /// <summary>
    /// A thread waited on a wait handle or in <c>Monitor.Wait</c>. Seen from the runtime's event thread:
    /// the waiting thread and the duration are known, the calling method and the handle are not.
    /// </summary>
    WaitHandle,
}
