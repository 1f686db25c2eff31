using Braid.Instrumentation;

namespace Braid.Diagnostics;

/// <summary>A live child of a task group in a <see cref="TaskTree"/>, or several identical ones coalesced.</summary>
/// <param name="Id">The child's number in the session (from 1 in the order children started); the lowest of a coalesced entry.</param>
/// <param name="Name">The child's name, or <see langword="null"/>.</param>
/// <param name="GroupId">The <c>Id</c> of its task group.</param>
/// <param name="GroupName">Its group's name, or <see langword="null"/>.</param>
/// <param name="State"><c>waiting</c> (queued on a Braid primitive), <c>cancelling</c> (its group was cancelled) or <c>running</c> (anything else, including awaits Braid does not see).</param>
/// <param name="Age">How long it has been running (the oldest of a coalesced entry), on the session's clock.</param>
/// <param name="WaitingOn">The primitive it is queued on and its holder, or <see langword="null"/>.</param>
/// <param name="HolderName">The name of the holding child, or <see langword="null"/>.</param>
/// <param name="Count">How many identical children this entry stands for (same group, name, state and wait, no nested groups).</param>
/// <param name="Groups">The task groups the child's code opened.</param>
public sealed record TaskTreeChild(
    long Id,
    string? Name,
    long GroupId,
    string? GroupName,
    string State,
    TimeSpan Age,
    LiveWaitInfo? WaitingOn,
    string? HolderName,
    int Count,
    IReadOnlyList<TaskTreeGroup> Groups)
{
    /// <summary>
    /// The child's await chain, outermost method first (<c>Type.Outer → Type.Inner → AsyncEvent#5</c>), read from
    /// the runtime's async state machines as <c>dumpasync</c> does; <see langword="null"/> when not known.
    /// </summary>
    public string? AwaitChain { get; init; }

    /// <summary>Who awaits the child's group: the child whose code opened it (<c>child 1 'server'</c>), or <see langword="null"/> for a group opened outside any recorded child.</summary>
    public string? AwaitedBy { get; init; }

    /// <summary>The names of the children holding what it waits on, as <c>child 3 'r'</c>, lowest first (several for read locks and permits).</summary>
    public IReadOnlyList<string> Holders { get; init; } = [];
}
