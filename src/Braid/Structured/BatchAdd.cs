namespace Braid.Structured;

/// <summary>What <see cref="ChildBatch.TryAdd"/> did with a child.</summary>
internal enum BatchAdd
{
    /// <summary>The batch is full: the child was not added.</summary>
    Full,

    /// <summary>Added to a batch that already holds a unit of the group's pending count for its unclaimed children.</summary>
    Joined,

    /// <summary>Added to a batch that held no unit (new, or every child so far claimed): the caller gives it one.</summary>
    Opened,
}
