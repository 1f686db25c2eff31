namespace Braid.Instrumentation;

/// <summary>A live task group in a <see cref="LiveTaskSnapshot"/>.</summary>
/// <param name="Id">The group's <c>Id</c>.</param>
/// <param name="Name">The group's name, or <see langword="null"/>.</param>
/// <param name="ParentChildId">The recorded child whose code opened the group, or 0.</param>
/// <param name="ParentGroupId">The group whose body opened it (not one of its children), or 0.</param>
/// <param name="Age">How long the group has been open, on the session's clock.</param>
/// <param name="Cancelling">Whether the group's cancellation was requested.</param>
public sealed record LiveGroupInfo(long Id, string? Name, long ParentChildId, long ParentGroupId, TimeSpan Age, bool Cancelling)
{
    /// <summary>The <c>Id</c> of the event loop the group was opened on, or 0 when it was opened off any loop.</summary>
    public long LoopId { get; init; }
}
