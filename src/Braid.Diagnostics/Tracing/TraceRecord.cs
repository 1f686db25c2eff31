namespace Braid.Diagnostics.Tracing;

/// <summary>What a <see cref="TraceRecord"/> is.</summary>
internal enum TraceRecordKind
{
    /// <summary>A thread seen for the first time; <see cref="TraceRecord.Name"/> is its name.</summary>
    Thread,

    /// <summary>An async operation (an async method's task, a <c>Task.Delay</c>) began: A = task id.</summary>
    OperationBegin,

    /// <summary>An async operation ended: A = task id.</summary>
    OperationEnd,

    /// <summary>Synchronous work of a task began on this thread: A = task id, B = the work (0 completion, 1 cancellation, 2 execution, 3 error).</summary>
    WorkBegin,

    /// <summary>The innermost synchronous work on this thread ended.</summary>
    WorkEnd,

    /// <summary>An await registered: A = the awaited task, B = the awaiting operation's task.</summary>
    AwaitBegin,

    /// <summary>A wait on a task ended (the continuation is about to run, or a blocked thread goes on): A = the awaited task.</summary>
    WaitEnd,

    /// <summary>A thread blocked on an incomplete task (sync-over-async): A = the task.</summary>
    Blocked,

    /// <summary>A task was queued to a scheduler (<c>Task.Run</c>, a continuation task): A = its id.</summary>
    TaskScheduled,

    /// <summary>A continuation was queued to run elsewhere: A = the continuation's id.</summary>
    ContinuationScheduled,

    /// <summary>A queued continuation started running: A = its id.</summary>
    ContinuationStarted,

    /// <summary>A queued continuation finished: A = its id.</summary>
    ContinuationEnd,

    /// <summary>A task group opened: A = its id.</summary>
    GroupStarted,

    /// <summary>A task group closed: A = its id; <see cref="TraceRecord.Detail"/> its status.</summary>
    GroupFinished,

    /// <summary>A child started: A = its group's id.</summary>
    ChildStarted,

    /// <summary>A child finished: A = its group's id; <see cref="TraceRecord.Detail"/> its status.</summary>
    ChildFinished,

    /// <summary>A waiter queued, was released or cancelled on a primitive: A = its id; <see cref="TraceRecord.Name"/> its kind.</summary>
    Waiter,

    /// <summary>A loop thread blocked on an incomplete task (Braid's debug mode): <see cref="TraceRecord.Name"/> the caller.</summary>
    LoopBlocked,

    /// <summary>A sample of the thread pool: A = threads, B = queued work items.</summary>
    Counter,
}

/// <summary>One raw event as the recorder heard it; translated to trace events when written.</summary>
internal readonly record struct TraceRecord(TraceRecordKind Kind, int Thread, TimeSpan Time, long A = 0, long B = 0, string? Name = null, string? Detail = null);
