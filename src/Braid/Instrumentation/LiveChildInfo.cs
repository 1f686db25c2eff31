namespace Braid.Instrumentation;

/// <summary>A live child of a task group in a <see cref="LiveTaskSnapshot"/>.</summary>
/// <param name="Id">The child's number in the session, from 1 in the order children started.</param>
/// <param name="GroupId">The <c>Id</c> of its group.</param>
/// <param name="Name">The child's name, or <see langword="null"/>.</param>
/// <param name="Age">How long the child has been running, on the session's clock.</param>
/// <param name="WaitingOn">What it waits on, if it is queued on a Braid primitive; else <see langword="null"/>.</param>
public sealed record LiveChildInfo(long Id, long GroupId, string? Name, TimeSpan Age, LiveWaitInfo? WaitingOn)
{
    /// <summary>
    /// The child's await chain, outermost method first, reconstructed from the runtime's async state
    /// machines (<c>Type.Outer → Type.Inner → AsyncEvent#5</c>), or <see langword="null"/> when it is not
    /// known (the child's task is not an async method's, or <see cref="LiveTasks.AwaitChainsSupported"/> is false).
    /// </summary>
    public string? AwaitChain { get; init; }
}
