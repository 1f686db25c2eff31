namespace Braid.Tracing;

/// <summary>What an <see cref="AsyncNode"/> stands for.</summary>
public enum AsyncNodeKind
{
    /// <summary>A pending async method (its state machine box).</summary>
    Method,

    /// <summary>A Braid task group (read through the diagnostic contract).</summary>
    TaskGroup,

    /// <summary>A child of a Braid task group.</summary>
    Child,

    /// <summary>A pending task that is not an async method, awaited by one (<c>Task.WhenAll</c>, <c>ContinueWith</c>).</summary>
    Task,
}
