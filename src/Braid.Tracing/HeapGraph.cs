using System.Globalization;
using Braid.Diagnostics;
using Braid.Instrumentation;
using Microsoft.Diagnostics.Runtime;

namespace Braid.Tracing;

/// <summary>
/// Builds the await tree of a paused process from its heap, as SOS <c>dumpasync</c> does: every pending
/// async state machine box, linked to whoever awaits it through its continuation, and (when the target's
/// Braid speaks diagnostic contract 1) its task groups and children by name (docs/design.md rule 171).
/// </summary>
internal sealed class HeapGraph
{
    // Task.m_stateFlags: TASK_STATE_RAN_TO_COMPLETION | TASK_STATE_FAULTED | TASK_STATE_CANCELED.
    private const int CompletedMask = 0x1000000 | 0x200000 | 0x400000;
    private const string BoxMarker = "+AsyncStateMachineBox<";
    private const string UnwrapPromise = "System.Threading.Tasks.UnwrapPromise<";
    private const string TaskRun = "Task.Run";

    private readonly ClrRuntime _runtime;
    private readonly Dictionary<ulong, Node> _byStateMachine = [];
    private readonly bool _braid;
    private readonly Dictionary<ulong, Node> _nodes = [];
    private readonly Dictionary<ulong, Node> _byTask = [];
    private readonly HashSet<ulong> _resolving = [];

    private HeapGraph(ClrRuntime runtime, bool braid)
    {
        _runtime = runtime;
        _braid = braid;
    }

    /// <summary>Reads the tree and the wait-for cycles among Braid's children; the target must be paused (or a copy).</summary>
    public static (IReadOnlyList<AsyncNode> Roots, IReadOnlyList<WaitCycle> Cycles) Read(ClrRuntime runtime, bool braid, CaptureTimings timings)
    {
        var graph = new HeapGraph(runtime, braid);
        var roots = graph.Build(timings);
        return (roots, graph.Cycles());
    }

    private List<AsyncNode> Build(CaptureTimings timings)
    {
        var heap = _runtime.Heap;
        var boxes = new List<Node>();
        var groups = new List<(Node Node, ClrObject Task)>();
        var children = new List<(ClrObject Group, ClrObject Task, string? Name, ulong Address)>();
        foreach (var obj in heap.EnumerateObjects())
        {
            var type = obj.Type;
            var name = type?.Name;
            if (name is null)
            {
                continue;
            }

            if (name.Contains(BoxMarker, StringComparison.Ordinal))
            {
                if (IsPending(obj))
                {
                    var node = Method(obj, name);
                    boxes.Add(node);
                    _byTask[obj.Address] = node;
                }
            }
            else if (_braid && name.StartsWith("Braid.", StringComparison.Ordinal))
            {
                switch (name)
                {
                    case ContractV1.TaskGroup:
                        var completion = obj.ReadObjectField(ContractV1.GroupCompletion);
                        var task = completion.IsNull ? default : completion.ReadObjectField("_task");
                        if (!task.IsNull && IsPending(task))
                        {
                            var group = Add(new Node(AsyncNodeKind.TaskGroup, GroupLabel(obj), name, null, obj.Address));
                            groups.Add((group, task));
                            _byTask[task.Address] = group;
                        }

                        break;
                    case ContractV1.NamedChildNode:
                    case ContractV1.ChildNode:
                        var childTask = obj.ReadObjectField(ContractV1.ChildTask);
                        if (!childTask.IsNull && IsPending(childTask))
                        {
                            var childName = name == ContractV1.NamedChildNode ? obj.ReadStringField(ContractV1.ChildName) : null;
                            children.Add((obj.ReadObjectField(ContractV1.ChildGroup), childTask, childName, obj.Address));
                        }

                        break;
                    case ContractV1.ChildBatch:
                        var slots = type!.GetFieldByName(ContractV1.BatchSlots);
                        if (slots is not null)
                        {
                            var first = slots.GetAddress(obj.Address);
                            for (var i = 0; i < ContractV1.BatchCapacity; i++)
                            {
                                var slot = heap.GetObject(_runtime.DataTarget.DataReader.ReadPointer(first + (ulong)(i * IntPtr.Size)));
                                if (slot.IsValid && !slot.IsNull && IsPending(slot))
                                {
                                    children.Add((obj.ReadObjectField(ContractV1.BatchGroup), slot, null, slot.Address + 1));
                                }
                            }
                        }

                        break;
                }
            }
        }

        timings.Mark("heap walk");

        // A child sits between its group and the task it returned (an async method, or a nested group).
        foreach (var (group, task, name, address) in children)
        {
            var child = Add(new Node(AsyncNodeKind.Child, name is null ? "child" : $"child '{name}'", null, null, address));
            if (_nodes.TryGetValue(group.Address, out var groupNode))
            {
                Link(child, groupNode);
            }

            if (_byTask.TryGetValue(task.Address, out var inner))
            {
                Link(inner, child);
            }
            else
            {
                child.Awaiting = DescribeAwaited(task);
            }
        }

        foreach (var box in boxes)
        {
            box.Awaiting ??= AwaitedBy(heap.GetObject(box.Address));
            if (_braid)
            {
                box.Holds = HeldLocks(heap.GetObject(box.Address));
            }

            if (box.Parent is null && Consumer(heap.GetObject(box.Address).ReadObjectField("m_continuationObject")) is { } consumer)
            {
                Link(box, consumer);
            }
        }

        foreach (var (group, task) in groups)
        {
            if (group.Parent is null && Consumer(task.ReadObjectField("m_continuationObject")) is { } consumer)
            {
                Link(group, consumer);
            }
        }

        var roots = Order(_nodes.Values.Where(n => n.Parent is null)).Select(Freeze).ToList();
        timings.Mark("link");
        return roots;
    }

    private static bool IsPending(ClrObject task) =>
        task.Type?.GetFieldByName("m_stateFlags") is not null && (task.ReadField<int>("m_stateFlags") & CompletedMask) == 0;

    private Node Add(Node node)
    {
        _nodes[node.Address] = node;
        return node;
    }

    private static void Link(Node inner, Node outer)
    {
        if (inner.Parent is not null || ReferenceEquals(inner, outer))
        {
            return;
        }

        inner.Parent = outer;
        outer.Children.Add(inner);
    }

    private Node Method(ClrObject box, string typeName)
    {
        var start = typeName.IndexOf(BoxMarker, StringComparison.Ordinal) + BoxMarker.Length;
        var stateMachine = typeName[start..^1];
        int? state = null;
        var field = box.Type!.GetFieldByName("StateMachine");
        if (field?.Type is { } smType && smType.GetFieldByName("<>1__state") is not null)
        {
            state = field.IsObjectReference ? box.ReadObjectField("StateMachine").ReadField<int>("<>1__state") : box.ReadValueTypeField("StateMachine").ReadField<int>("<>1__state");
        }

        var node = Add(new Node(AsyncNodeKind.Method, MethodName(stateMachine), stateMachine, state, box.Address));
        if (field is { IsObjectReference: true })
        {
            // A class state machine: an async iterator, which is also what its MoveNextAsync's ValueTask holds.
            _byStateMachine[box.ReadObjectField("StateMachine").Address] = node;
        }

        return node;
    }

    /// <summary>What a box's state machine awaits, read from its awaiter fields (<c>&lt;&gt;u__N</c>); null when it is another node.</summary>
    private string? AwaitedBy(ClrObject box)
    {
        var field = box.Type!.GetFieldByName("StateMachine");
        if (field?.Type is not { } smType)
        {
            return null;
        }

        foreach (var awaiter in smType.Fields.Where(f => f.Name is not null && f.Name.StartsWith("<>u__", StringComparison.Ordinal)))
        {
            var awaited = ReadAwaited(box, field, awaiter);
            if (!awaited.IsNull && awaited.IsValid && _byStateMachine.TryGetValue(awaited.Address, out var body) && _nodes.TryGetValue(box.Address, out var self))
            {
                // An async iterator's MoveNextAsync (a pipeline's source): the iterator's method, waiting, goes below.
                Link(body, self);
                return null;
            }

            if (!awaited.IsNull && awaited.IsValid)
            {
                return _byTask.ContainsKey(awaited.Address) ? null : DescribeAwaited(awaited);
            }
        }

        return null;
    }

    private static ClrObject ReadAwaited(ClrObject box, ClrInstanceField stateMachineField, ClrInstanceField awaiter)
    {
        try
        {
            if (awaiter.IsObjectReference)
            {
                return stateMachineField.IsObjectReference
                    ? box.ReadObjectField("StateMachine").ReadObjectField(awaiter.Name!)
                    : box.ReadValueTypeField("StateMachine").ReadObjectField(awaiter.Name!);
            }

            var value = stateMachineField.IsObjectReference
                ? box.ReadObjectField("StateMachine").ReadValueTypeField(awaiter.Name!)
                : box.ReadValueTypeField("StateMachine").ReadValueTypeField(awaiter.Name!);
            var typeName = value.Type?.Name ?? string.Empty;
            if (typeName.Contains("TaskAwaiter", StringComparison.Ordinal) && !typeName.Contains("ValueTask", StringComparison.Ordinal))
            {
                return value.ReadObjectField("m_task");
            }

            if (typeName.Contains("ValueTask", StringComparison.Ordinal))
            {
                return value.ReadValueTypeField("_value").ReadObjectField("_obj");
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (ArgumentException)
        {
        }

        return default;
    }

    private string DescribeAwaited(ClrObject awaited)
    {
        var name = awaited.Type?.Name ?? "?";
        if (name.StartsWith(ContractV1.Waiter, StringComparison.Ordinal) && _braid)
        {
            var owner = awaited.ReadObjectField(ContractV1.WaiterOwner);
            if (!owner.IsNull && owner.Type?.GetFieldByName(ContractV1.PrimitiveId) is not null)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{ShortType(owner.Type.Name!)}#{owner.ReadField<long>(ContractV1.PrimitiveId)}");
            }
        }

        return name switch
        {
            "System.Threading.Tasks.Task" => "Task",
            _ when name.StartsWith("System.Threading.Tasks.Task+DelayPromise", StringComparison.Ordinal) => "Task.Delay",
            _ when name.StartsWith(UnwrapPromise, StringComparison.Ordinal) => TaskRun,
            _ when name.StartsWith("System.Threading.Channels.", StringComparison.Ordinal) && name.Contains("ReadAsyncOperation", StringComparison.Ordinal) => "channel read",
            _ when name.StartsWith("System.Threading.Channels.", StringComparison.Ordinal) && name.Contains("WriteAsyncOperation", StringComparison.Ordinal) => "channel write",
            _ when name.Contains("WhenAllPromise", StringComparison.Ordinal) => "Task.WhenAll",
            _ when name.Contains("WhenAnyPromise", StringComparison.Ordinal) => "Task.WhenAny",
            _ => ShortType(name),
        };
    }

    /// <summary>The node that resumes when <paramref name="continuation"/> runs, or null.</summary>
    private Node? Consumer(ClrObject continuation)
    {
        if (continuation.IsNull || !continuation.IsValid || !_resolving.Add(continuation.Address))
        {
            return null;
        }

        try
        {
            var name = continuation.Type?.Name ?? string.Empty;
            if (_nodes.TryGetValue(continuation.Address, out var known))
            {
                return known;
            }

            if (continuation.IsDelegate)
            {
                return Consumer(continuation.ReadObjectField("_target"));
            }

            if (name.EndsWith("AwaitTaskContinuation", StringComparison.Ordinal))
            {
                return Consumer(continuation.ReadObjectField("m_action"));
            }

            if (name == "System.Threading.Tasks.ContinueWithTaskContinuation")
            {
                return Consumer(continuation.ReadObjectField("m_task"));
            }

            if (name.StartsWith("System.Collections.Generic.List<", StringComparison.Ordinal))
            {
                var items = continuation.ReadObjectField("_items");
                var size = continuation.ReadField<int>("_size");
                if (!items.IsNull && items.IsArray)
                {
                    var array = items.AsArray();
                    for (var i = 0; i < Math.Min(size, array.Length); i++)
                    {
                        if (Consumer(array.GetObjectValue(i)) is { } found)
                        {
                            return found;
                        }
                    }
                }

                return null;
            }

            if (_byTask.TryGetValue(continuation.Address, out var task))
            {
                return task;
            }

            if (name.StartsWith(UnwrapPromise, StringComparison.Ordinal) && IsPending(continuation))
            {
                // Task.Run's proxy for an async body (how a pipeline starts its stage workers): no node of its
                // own, the body's method goes straight under whoever awaits the proxy.
                return Consumer(continuation.ReadObjectField("m_continuationObject"));
            }

            if (IsPending(continuation))
            {
                // A pending task between two awaits (a WhenAll, a ContinueWith): a node of its own.
                var node = Add(new Node(AsyncNodeKind.Task, DescribeAwaited(continuation), name, null, continuation.Address));
                _byTask[continuation.Address] = node;
                if (Consumer(continuation.ReadObjectField("m_continuationObject")) is { } outer)
                {
                    Link(node, outer);
                }

                return node;
            }

            return null;
        }
        finally
        {
            _resolving.Remove(continuation.Address);
        }
    }

    /// <summary>
    /// The <c>AsyncLock</c>s a pending method holds: a held lock's <c>Releaser</c> kept in its state machine (a
    /// <c>using</c> around an await is hoisted into a field), whose <c>_owner</c> is a lock still held.
    /// </summary>
    private List<long> HeldLocks(ClrObject box)
    {
        var held = new List<long>();
        var field = box.Type?.GetFieldByName("StateMachine");
        if (field?.Type is not { } smType || field.IsObjectReference)
        {
            return held;
        }

        foreach (var releaser in smType.Fields.Where(f => f.Name is not null && f.Type?.Name is ContractV1.LockReleaser or ContractV1.SemaphoreReleaser or ContractV1.ReaderWriterReleaser))
        {
            try
            {
                var owner = box.ReadValueTypeField("StateMachine").ReadValueTypeField(releaser.Name!).ReadObjectField(ContractV1.ReleaserOwner);
                if (!owner.IsNull && owner.IsValid && IsHeld(owner))
                {
                    held.Add(owner.ReadField<long>(ContractV1.PrimitiveId));
                }
            }
            catch (Exception error) when (error is InvalidOperationException or ArgumentException)
            {
            }
        }

        return held;
    }

    /// <summary>
    /// Whether a primitive a releaser points to can block a waiter: an <c>AsyncLock</c> held, an <c>AsyncSemaphore</c>
    /// with no permit free (<c>_state</c> 0, or -1 when contended), an <c>AsyncReaderWriterLock</c> with a writer or a reader.
    /// </summary>
    private static bool IsHeld(ClrObject primitive)
    {
        var state = primitive.ReadField<int>(ContractV1.LockState);
        return primitive.Type?.Name switch
        {
            ContractV1.AsyncSemaphore => state <= 0,
            ContractV1.AsyncReaderWriterLock => (state & ~ContractV1.ReaderWriterSlowBit) != 0,
            _ => state != 0,
        };
    }

    /// <summary>The wait-for cycles among children: each child awaits an <c>AsyncLock</c>, <c>AsyncSemaphore</c> or <c>AsyncReaderWriterLock</c> a method in the next one holds.</summary>
    private List<WaitCycle> Cycles()
    {
        var holder = new Dictionary<long, Node>();
        var waits = new Dictionary<Node, (string Kind, long Id)>();
        foreach (var node in _nodes.Values.Where(n => n.Kind == AsyncNodeKind.Method))
        {
            if (Child(node) is not { } child)
            {
                continue;
            }

            foreach (var id in node.Holds)
            {
                holder.TryAdd(id, child);
            }

            if (node.Awaiting is { } awaiting && awaiting.IndexOf('#', StringComparison.Ordinal) is var hash and > 0
                && awaiting[..hash] is "AsyncLock" or "AsyncSemaphore" or "AsyncReaderWriterLock"
                && long.TryParse(awaiting[(hash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var waited))
            {
                waits.TryAdd(child, (awaiting[..hash], waited));
            }
        }

        var ids = new Dictionary<Node, long>();
        TaskTreeChild Entry(Node child)
        {
            if (!ids.TryGetValue(child, out var id))
            {
                ids[child] = id = ids.Count + 1;
            }

            var name = child.Name.StartsWith("child '", StringComparison.Ordinal) ? child.Name[7..^1] : null;
            var wait = waits.TryGetValue(child, out var waited) ? new LiveWaitInfo(waited.Kind, waited.Id, holder.TryGetValue(waited.Id, out var h) ? ids.GetValueOrDefault(h) : 0) : null;
            return new TaskTreeChild(id, name, 0, null, "waiting", TimeSpan.Zero, wait, null, 1, []);
        }

        var cycles = new List<WaitCycle>();
        var done = new HashSet<Node>();
        foreach (var start in waits.Keys.OrderBy(n => n.Name, StringComparer.Ordinal).ThenBy(n => n.Address))
        {
            var path = new List<Node>();
            var current = start;
            while (current is not null && !done.Contains(current))
            {
                var at = path.IndexOf(current);
                if (at >= 0)
                {
                    var cycle = path[at..];
                    foreach (var child in cycle)
                    {
                        _ = Entry(child);
                    }

                    cycles.Add(new WaitCycle([.. cycle.Select(Entry)]));
                    break;
                }

                path.Add(current);
                current = waits.TryGetValue(current, out var next) && holder.TryGetValue(next.Id, out var holding) ? holding : null;
            }

            done.UnionWith(path);
        }

        return cycles;
    }

    private static Node? Child(Node node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            if (current.Kind == AsyncNodeKind.Child)
            {
                return current;
            }
        }

        return null;
    }

    private static string GroupLabel(ClrObject group)
    {
        var id = group.ReadField<long>(ContractV1.GroupId);
        var name = group.ReadStringField(ContractV1.GroupName);
        return name is null
            ? string.Create(CultureInfo.InvariantCulture, $"task group #{id}")
            : string.Create(CultureInfo.InvariantCulture, $"task group #{id} '{name}'");
    }

    /// <summary>
    /// <c>Ns.Orders+&lt;FetchAsync&gt;d__2</c> → <c>Orders.FetchAsync</c>; a lambda's (<c>&lt;&lt;RunAsync&gt;b__3&gt;d</c>) →
    /// <c>Groups.RunAsync lambda</c>; a local function's (<c>&lt;&lt;RunAsync&gt;g__Poll|3_0&gt;d</c>) → <c>Groups.RunAsync.Poll</c>;
    /// top-level statements' <c>&lt;&lt;Main&gt;$&gt;d__0</c> → <c>Program.Main</c>.
    /// </summary>
    internal static string MethodName(string stateMachine)
    {
        var parts = SplitNested(stateMachine);
        var last = parts[^1];
        var owner = parts.Take(parts.Count - 1).LastOrDefault(p => !p.StartsWith("<>c", StringComparison.Ordinal));
        var prefix = owner is null ? string.Empty : ShortType(owner) + ".";
        var end = last.LastIndexOf('>');
        if (last.Length < 2 || last[0] != '<' || end < 1)
        {
            return prefix + last;
        }

        var inner = last[1..end];
        var lambda = inner.IndexOf(">b__", StringComparison.Ordinal);
        var local = inner.IndexOf(">g__", StringComparison.Ordinal);
        if (inner.StartsWith('<') && lambda > 0)
        {
            return prefix + Plain(inner[1..lambda]) + " lambda";
        }

        if (inner.StartsWith('<') && local > 0)
        {
            var name = inner[(local + 4)..];
            var bar = name.IndexOf('|', StringComparison.Ordinal);
            return prefix + Plain(inner[1..local]) + "." + (bar >= 0 ? name[..bar] : name);
        }

        return prefix + Plain(inner);

        static string Plain(string method) => method == "<Main>$" ? "Main" : method;
    }

    private static List<string> SplitNested(string typeName)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < typeName.Length; i++)
        {
            switch (typeName[i])
            {
                case '<' or '[':
                    depth++;
                    break;
                case '>' or ']':
                    depth--;
                    break;
                case '+' when depth == 0:
                    parts.Add(typeName[start..i]);
                    start = i + 1;
                    break;
            }
        }

        parts.Add(typeName[start..]);
        return parts;
    }

    /// <summary>The type's own name: no namespace, no generic arguments.</summary>
    internal static string ShortType(string typeName)
    {
        var generic = typeName.IndexOf('<', StringComparison.Ordinal);
        var plain = generic > 0 ? typeName[..generic] : typeName;
        var dot = plain.LastIndexOf('.');
        return dot >= 0 ? plain[(dot + 1)..] : plain;
    }

    private static IEnumerable<Node> Order(IEnumerable<Node> nodes) =>
        nodes.OrderBy(n => n.Kind).ThenBy(n => n.Name, StringComparer.Ordinal).ThenBy(n => n.Awaiting, StringComparer.Ordinal).ThenBy(n => n.Address);

    /// <remarks>A <c>Task.Run</c> whose body is in the tree is not printed as awaited: the body is, below it.</remarks>
    private static AsyncNode Freeze(Node node) =>
        new(node.Kind, node.Name, node.Type, node.State, node.Awaiting == TaskRun && node.Children.Count > 0 ? null : node.Awaiting, node.Address, 1, [.. Order(node.Children).Select(Freeze)]);

    private sealed class Node(AsyncNodeKind kind, string name, string? type, int? state, ulong address)
    {
        public AsyncNodeKind Kind { get; } = kind;

        public string Name { get; } = name;

        public string? Type { get; } = type;

        public int? State { get; } = state;

        public ulong Address { get; } = address;

        public string? Awaiting { get; set; }

        public List<long> Holds { get; set; } = [];

        public Node? Parent { get; set; }

        public List<Node> Children { get; } = [];
    }
}
