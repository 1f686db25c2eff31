namespace Braid.Diagnostics;

/// <summary>
/// One blocking call seen by a <see cref="BlockingDetector"/>, handed to
/// <see cref="BlockingDetectorOptions.OnBlocked"/>.
/// </summary>
public sealed class BlockingEvent
{
    internal BlockingEvent(BlockingKind kind, string callSite, long osThreadId)
    {
        Kind = kind;
        CallSite = callSite;
        OsThreadId = osThreadId;
    }

    /// <summary>What kind of blocking call this is, and so which of the other properties are known.</summary>
    public BlockingKind Kind { get; }

    /// <summary>
    /// The call site's name, the key under which its blocked time is summed: "Task.Result called from
    /// OrderService.Get" for sync-over-async, "lock 0x55d0c3a1b2c0" for contention, "wait handle" for
    /// wait handles.
    /// </summary>
    public string CallSite { get; }

    /// <summary>The operating-system id of the thread that blocked.</summary>
    public long OsThreadId { get; }

    /// <summary>
    /// The managed id of the thread that blocked, where the event was seen on that thread
    /// (<see cref="BlockingKind.SyncOverAsync"/>); otherwise <see langword="null"/>.
    /// </summary>
    public int? ManagedThreadId { get; init; }

    /// <summary>
    /// The user's method that made the blocking call (the first frame outside the .NET libraries, as
    /// "Type.Method"), for <see cref="BlockingKind.SyncOverAsync"/>; otherwise <see langword="null"/>.
    /// </summary>
    public string? CallingMethod { get; init; }

    /// <summary>
    /// The blocking API the user called ("Task.Result", "Task.Wait", "TaskAwaiter.GetResult"), for
    /// <see cref="BlockingKind.SyncOverAsync"/>; otherwise <see langword="null"/>.
    /// </summary>
    public string? BlockingApi { get; init; }

    /// <summary>The blocking thread's stack without file information, for <see cref="BlockingKind.SyncOverAsync"/>.</summary>
    public string? StackTrace { get; init; }

    /// <summary>The id of the task waited on (<see cref="Task.Id"/>), for <see cref="BlockingKind.SyncOverAsync"/>.</summary>
    public int? TaskId { get; init; }

    /// <summary>The runtime's id of the contended lock, for <see cref="BlockingKind.MonitorContention"/>.</summary>
    public long? LockId { get; init; }

    /// <summary>
    /// The operating-system id of the thread that held the lock when the wait began, for
    /// <see cref="BlockingKind.MonitorContention"/> (the runtime reports it; 0 when it did not know).
    /// </summary>
    public long? OwnerOsThreadId { get; init; }

    /// <summary>
    /// How long the thread was blocked, when the event is reported at the wait's end
    /// (<see cref="BlockingKind.WaitHandle"/>); <see langword="null"/> when it is reported as the wait
    /// begins (<see cref="BlockingKind.SyncOverAsync"/>, <see cref="BlockingKind.MonitorContention"/>),
    /// before anything is known about its length.
    /// </summary>
    public TimeSpan? Duration { get; init; }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        BlockingKind.SyncOverAsync => $"sync-over-async: {CallSite} (task {TaskId}, thread {ManagedThreadId})",
        BlockingKind.MonitorContention => $"lock contention: os thread {OsThreadId} waits for {CallSite} held by os thread {OwnerOsThreadId}",
        _ => $"wait handle: os thread {OsThreadId} blocked {Duration?.TotalMilliseconds:F0} ms",
    };
}
