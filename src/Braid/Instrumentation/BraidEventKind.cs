namespace Braid.Instrumentation;

/// <summary>What a <see cref="BraidEvent"/> reports.</summary>
public enum BraidEventKind
{
    /// <summary>A task group started a child.</summary>
    ChildStarted,

    /// <summary>A child of a task group finished (ran to completion, faulted or was cancelled).</summary>
    ChildFinished,

    /// <summary>A cancel scope's cancellation was requested (deadline, explicit cancel, or outer cancellation).</summary>
    ScopeCancelled,

    /// <summary>An event loop ran one step (one posted continuation).</summary>
    StepRun,

    /// <summary>An event loop step held the loop longer than the debug-mode threshold.</summary>
    SlowStep,

    /// <summary>A task faulted and nobody observed its exception.</summary>
    UnobservedFault,

    /// <summary>A task started on an event loop had not finished when the loop exited.</summary>
    UnfinishedTask,

    /// <summary>The loop thread blocked on an incomplete task (<c>.Result</c>, <c>.Wait()</c>, <c>GetResult()</c>).</summary>
    BlockingWait,

    /// <summary>A waiter queued on a coordination primitive, queue or channel.</summary>
    WaiterQueued,

    /// <summary>A queued waiter was handed what it waited for.</summary>
    WaiterReleased,

    /// <summary>A queued waiter was cancelled and left the queue without taking anything.</summary>
    WaiterCancelled,

    /// <summary>A task group opened (its body is about to run).</summary>
    GroupStarted,

    /// <summary>
    /// A task group closed: every child and the body finished. <see cref="BraidEvent.Message"/> is the
    /// group task's outcome (<c>RanToCompletion</c>, <c>Faulted</c>, <c>Canceled</c>) and
    /// <see cref="BraidEvent.Exception"/> its failure, if any.
    /// </summary>
    GroupFinished,
}
