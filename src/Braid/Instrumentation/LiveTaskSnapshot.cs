namespace Braid.Instrumentation;

/// <summary>The live groups and children a <see cref="LiveTasks"/> session recorded, at one instant.</summary>
/// <param name="Groups">The live task groups, by id.</param>
/// <param name="Children">The live children, in the order they started.</param>
public sealed record LiveTaskSnapshot(IReadOnlyList<LiveGroupInfo> Groups, IReadOnlyList<LiveChildInfo> Children)
{
    /// <summary>The live event loops (started during the session, or running a recorded group), by id.</summary>
    public IReadOnlyList<LiveLoopInfo> Loops { get; init; } = [];
}
