using Braid.Instrumentation;

namespace Braid.Diagnostics;

/// <summary>
/// The live tree of task groups and their children, like Python's <c>asyncio pstree</c>: each group
/// with its children (name, state, age), the groups a child opened nested under it, and for each
/// waiting child the primitive it is queued on and the child holding it. <see cref="FindCycles"/> finds
/// the deadlocks among them.
/// </summary>
/// <remarks>
/// The core records loops, groups, children and waits only while a session runs (holders and await chains are read from the children's state machines at capture): start one with
/// <see cref="Start"/> before the code to watch, and dispose it when done (docs/design.md rules 120 and
/// 125). What started before the session is not in the tree.
/// </remarks>
/// <example>
/// <code>
/// using var session = TaskTree.Start();
/// // ... the service runs ...
/// var tree = TaskTree.Capture();
/// Console.WriteLine(tree.ToText());
/// foreach (var cycle in tree.FindCycles()) Console.WriteLine(cycle);
/// </code>
/// </example>
public sealed class TaskTree
{
    private const string Waiting = "waiting";
    private const string Cancelling = "cancelling";
    private const string Running = "running";

    private TaskTree(IReadOnlyList<TaskTreeGroup> groups, IReadOnlyList<TaskTreeChild> children, IReadOnlyList<TaskTreeLoop> loops)
    {
        Groups = groups;
        Children = children;
        Loops = loops;
    }

    /// <summary>
    /// The live event loops: those started during the session and those a recorded group was opened on,
    /// each with the outermost groups opened on it (which are in <see cref="Groups"/> too).
    /// </summary>
    public IReadOnlyList<TaskTreeLoop> Loops { get; }

    /// <summary>
    /// Whether await chains and holders can be read on this runtime (<see cref="LiveTasks.AwaitChainsSupported"/>):
    /// without them the tree still shows groups, children and waits, with no holders and no cycles.
    /// </summary>
    public static bool AwaitChainsSupported => LiveTasks.AwaitChainsSupported;

    /// <summary>The outermost live groups (and, as <c>unrecorded</c>, groups opened before the session that have children started during it).</summary>
    public IReadOnlyList<TaskTreeGroup> Groups { get; }

    /// <summary>Every live child, one entry each (not coalesced, no nested groups), in the order they started.</summary>
    public IReadOnlyList<TaskTreeChild> Children { get; }

    /// <summary>
    /// Starts recording the live loops, groups, children and waits (holders and await chains are read at capture); dispose the result to stop.
    /// Nothing is recorded without a session. One session at a time. Completes synchronously.
    /// </summary>
    /// <param name="clock">The clock ages are measured on (its timestamps); the system clock by default.</param>
    /// <returns>The session.</returns>
    /// <exception cref="InvalidOperationException">A session already runs.</exception>
    public static IDisposable Start(TimeProvider? clock = null) => LiveTasks.Start(clock);

    /// <summary>
    /// The live tree now. Empty when no session runs. Completes synchronously; it never takes a lock a
    /// child might hold, so it works on a deadlocked program.
    /// </summary>
    /// <returns>The tree.</returns>
    public static TaskTree Capture() => From(LiveTasks.Capture());

    /// <summary>
    /// The wait-for cycles among the live children: each child waits on something the next one holds.
    /// Holders are found in the releasers suspended children keep (locks, write and read locks, semaphore
    /// permits, limiter tokens), the receive ends they keep (a send waiting at a channel's rendezvous) and
    /// <c>StartAsync</c> (the caller waits on the child it starts). A wait that any one of several holders
    /// can end (a permit, a channel with several receivers) is an edge only when there is one holder.
    /// </summary>
    /// <returns>Every cycle once, each starting from its lowest child id.</returns>
    public IReadOnlyList<WaitCycle> FindCycles()
    {
        const int Limit = 100;
        var byId = Children.ToDictionary(c => c.Id);
        IEnumerable<long> Next(TaskTreeChild child) =>
            child.WaitingOn is not { } wait ? []
            : wait.NeedsAllHolders || wait.Holders.Count == 1 ? wait.Holders.Where(byId.ContainsKey)
            : [];

        var cycles = new List<WaitCycle>();
        var path = new List<TaskTreeChild>();
        var onPath = new HashSet<long>();

        // Simple cycles through each start whose other members all have higher ids: each found once.
        void Visit(TaskTreeChild start, TaskTreeChild current)
        {
            path.Add(current);
            onPath.Add(current.Id);
            foreach (var next in Next(current))
            {
                if (cycles.Count >= Limit)
                {
                    break;
                }

                if (next == start.Id)
                {
                    cycles.Add(new WaitCycle([.. path]));
                }
                else if (next > start.Id && !onPath.Contains(next))
                {
                    Visit(start, byId[next]);
                }
            }

            path.RemoveAt(path.Count - 1);
            onPath.Remove(current.Id);
        }

        foreach (var start in Children.OrderBy(c => c.Id))
        {
            Visit(start, start);
        }

        return cycles;
    }

    /// <summary>The tree indented like <c>asyncio pstree</c>, identical children coalesced (×count), then any cycles.</summary>
    /// <returns>The text, one line per entry, ending with a newline; empty when nothing is live.</returns>
    public string ToText() => TaskTreeWriter.Text(this);

    /// <summary>A flat table like <c>asyncio ps</c>: task, name, group, state, age, waits on, held by, count; identical rows coalesced.</summary>
    /// <returns>The table with a header line.</returns>
    public string ToTable() => TaskTreeWriter.Table(this);

    /// <summary>The tree as indented JSON (<c>groups</c>, nested, and <c>cycles</c>), ages in milliseconds.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => TaskTreeWriter.Json(this);

    /// <summary>The flat table as CSV (RFC 4180 quoting), ages in milliseconds.</summary>
    /// <returns>The CSV text with a header line.</returns>
    public string ToCsv() => TaskTreeWriter.Csv(this);

    /// <summary>The same as <see cref="ToText"/>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => ToText();

    internal static TaskTree From(LiveTaskSnapshot snapshot)
    {
        var groups = snapshot.Groups.ToDictionary(g => g.Id);
        var children = snapshot.Children.ToDictionary(c => c.Id);
        var childrenOf = snapshot.Children.ToLookup(c => c.GroupId);
        var groupsOfChild = snapshot.Groups.Where(g => children.ContainsKey(g.ParentChildId)).ToLookup(g => g.ParentChildId);
        var groupsOfGroup = snapshot.Groups.Where(g => groups.ContainsKey(g.ParentGroupId)).ToLookup(g => g.ParentGroupId);

        string StateOf(LiveChildInfo child) =>
            child.WaitingOn is not null ? Waiting
            : groups.TryGetValue(child.GroupId, out var group) && group.Cancelling ? Cancelling
            : Running;

        string ChildLabel(long id) => TaskTreeWriter.ChildLabel(id, children.GetValueOrDefault(id)?.Name);

        // The child whose code awaits this child's group: the one that opened it, or the one that opened the group whose body opened it.
        string? AwaitedBy(long groupId)
        {
            for (var depth = 0; depth < 64 && groups.TryGetValue(groupId, out var group); depth++)
            {
                if (children.ContainsKey(group.ParentChildId))
                {
                    return ChildLabel(group.ParentChildId);
                }

                groupId = group.ParentGroupId;
            }

            return null;
        }

        TaskTreeChild Child(LiveChildInfo child, IReadOnlyList<TaskTreeGroup> nested) => new(
            child.Id,
            child.Name,
            child.GroupId,
            groups.GetValueOrDefault(child.GroupId)?.Name,
            StateOf(child),
            child.Age,
            child.WaitingOn,
            child.WaitingOn is { HolderChildId: > 0 } wait ? children.GetValueOrDefault(wait.HolderChildId)?.Name : null,
            1,
            nested)
        {
            AwaitChain = child.AwaitChain,
            AwaitedBy = AwaitedBy(child.GroupId),
            Holders = child.WaitingOn is { } held ? [.. held.Holders.Select(ChildLabel)] : [],
        };

        TaskTreeGroup Group(long id, LiveGroupInfo? group) => new(
            id,
            group?.Name,
            group is null ? "unrecorded" : group.Cancelling ? Cancelling : Running,
            group?.Age ?? TimeSpan.Zero,
            Coalesce([.. childrenOf[id].Select(c => Child(c, [.. groupsOfChild[c.Id].Select(g => Group(g.Id, g))]))]),
            [.. groupsOfGroup[id].Select(g => Group(g.Id, g))])
        {
            LoopId = group?.LoopId ?? 0,
        };

        var roots = snapshot.Groups
            .Where(g => !children.ContainsKey(g.ParentChildId) && !groups.ContainsKey(g.ParentGroupId))
            .Select(g => Group(g.Id, g))
            .Concat(snapshot.Children.Select(c => c.GroupId).Distinct().Where(id => !groups.ContainsKey(id)).Select(id => Group(id, null)))
            .OrderBy(g => g.Id)
            .ToList();
        var loops = snapshot.Loops
            .Select(l => new TaskTreeLoop(l.Id, l.PendingSteps, l.ActiveTimers, l.StepsRun, l.IsDebugMode, [.. roots.Where(g => g.LoopId == l.Id)]))
            .ToList();
        return new TaskTree(roots, [.. snapshot.Children.Select(c => Child(c, []))], loops);
    }

    /// <summary>Merges identical leaf children (same name, state, wait and await chain) into one entry with a count.</summary>
    internal static List<TaskTreeChild> Coalesce(IEnumerable<TaskTreeChild> children)
    {
        var result = new List<TaskTreeChild>();
        var index = new Dictionary<(string?, long, string, LiveWaitInfo?, string?), int>();
        foreach (var child in children)
        {
            var key = (child.Name, child.GroupId, child.State, child.WaitingOn, child.AwaitChain);
            if (child.Groups.Count == 0 && index.TryGetValue(key, out var at))
            {
                var seen = result[at];
                result[at] = seen with { Count = seen.Count + child.Count, Age = seen.Age > child.Age ? seen.Age : child.Age };
                continue;
            }

            if (child.Groups.Count == 0)
            {
                index[key] = result.Count;
            }

            result.Add(child);
        }

        return result;
    }
}
