namespace Braid.Instrumentation;

/// <summary>The primitive a child is queued on, and who holds it.</summary>
/// <param name="Kind">The primitive's kind: <c>AsyncLock</c>, <c>AsyncSemaphore</c>, <c>AsyncReaderWriterLock.Writer</c>, <c>MemoryChannel.Sender</c>, <c>TaskGroup.StartAsync</c>, ...</param>
/// <param name="PrimitiveId">The primitive's <c>Id</c> (for <c>TaskGroup.StartAsync</c>, the group's).</param>
/// <param name="HolderChildId">The one recorded child that holds it, or 0 when there is none, it is unknown, or several hold it (see <see cref="Holders"/>).</param>
public sealed record LiveWaitInfo(string Kind, long PrimitiveId, long HolderChildId)
{
    /// <summary>
    /// Every recorded child found holding it (a lock's holder, the readers of a read lock, the takers of
    /// semaphore permits, the children keeping a channel's receive end, the child being started), lowest first.
    /// </summary>
    public IReadOnlyList<long> Holders { get; init; } = HolderChildId > 0 ? [HolderChildId] : [];

    /// <summary>
    /// Whether the wait needs every holder to let go (a lock, a write lock waiting on readers) rather
    /// than any one of them (a semaphore permit, a receiver of a channel): with several holders, only
    /// the first kind is a wait on each of them.
    /// </summary>
    public bool NeedsAllHolders { get; init; } = true;

    /// <summary>Equal when kind, primitive, holders and their meaning are equal.</summary>
    /// <param name="other">The other wait.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(LiveWaitInfo? other) =>
        other is not null && Kind == other.Kind && PrimitiveId == other.PrimitiveId && HolderChildId == other.HolderChildId
        && NeedsAllHolders == other.NeedsAllHolders && Holders.SequenceEqual(other.Holders);

    /// <summary>A hash of the kind, primitive and first holder.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => HashCode.Combine(Kind, PrimitiveId, HolderChildId, Holders.Count);
}
