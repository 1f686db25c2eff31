namespace Braid.Diagnostics;

/// <summary>A live task group in a <see cref="TaskTree"/>.</summary>
/// <param name="Id">The group's <c>Id</c>.</param>
/// <param name="Name">The group's name, or <see langword="null"/>.</param>
/// <param name="State"><c>running</c>, <c>cancelling</c>, or <c>unrecorded</c> for a group opened before the session whose children started during it.</param>
/// <param name="Age">How long it has been open, on the session's clock (zero when unrecorded).</param>
/// <param name="Children">Its live children, identical ones coalesced, in the order they started.</param>
/// <param name="Groups">The task groups its body opened (groups opened by a child are under that child).</param>
public sealed record TaskTreeGroup(
    long Id,
    string? Name,
    string State,
    TimeSpan Age,
    IReadOnlyList<TaskTreeChild> Children,
    IReadOnlyList<TaskTreeGroup> Groups)
{
    /// <summary>The <c>Id</c> of the event loop the group was opened on, or 0.</summary>
    public long LoopId { get; init; }
}
