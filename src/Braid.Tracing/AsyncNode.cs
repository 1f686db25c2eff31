namespace Braid.Tracing;

/// <summary>
/// One node of a live process's await tree: a pending async method, a Braid task group or child, or a
/// pending task between them. Its <see cref="Children"/> are what it awaits (for a group, its children
/// and its body); the outermost awaiters are the roots.
/// </summary>
/// <param name="Kind">What the node stands for.</param>
/// <param name="Name">How it prints: <c>Orders.FetchAsync</c>, <c>task group #2 'app'</c>, <c>child 'worker'</c>, <c>Task.WhenAll</c>.</param>
/// <param name="Type">The runtime type behind it (the state machine's type for a method), or <see langword="null"/>.</param>
/// <param name="State">The state machine's state (0 and up: suspended at that await; -1: running on a thread now), or <see langword="null"/> when not a method.</param>
/// <param name="Awaiting">What it waits on that is not itself in the tree (<c>Task</c>, <c>Task.Delay</c>, <c>AsyncLock#3</c>), or <see langword="null"/>.</param>
/// <param name="Address">The object's address in the target (the lowest of a coalesced entry); 0 in coalesced output.</param>
/// <param name="Count">How many identical subtrees this entry stands for (1 unless coalesced).</param>
/// <param name="Children">What it awaits, in a stable order.</param>
public sealed record AsyncNode(
    AsyncNodeKind Kind,
    string Name,
    string? Type,
    int? State,
    string? Awaiting,
    ulong Address,
    int Count,
    IReadOnlyList<AsyncNode> Children)
{
    /// <summary>The node's line: its name, what it awaits, and its count when more than one.</summary>
    /// <returns>The line, without a newline.</returns>
    public override string ToString() =>
        Name + (State == -1 ? " (running)" : string.Empty) + (Awaiting is null ? string.Empty : " awaiting " + Awaiting) + (Count > 1 ? $" ×{Count}" : string.Empty);
}
