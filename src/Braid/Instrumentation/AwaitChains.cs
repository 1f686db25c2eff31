using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using Braid.Channels;
using Braid.Coordination;
using Braid.Internal.Waiters;

namespace Braid.Instrumentation;

/// <summary>
/// Reconstructs what a suspended child awaits from the runtime's async state machines, as SOS
/// <c>dumpasync</c> does, and which primitives it holds, from the releasers its suspended methods keep
/// (docs/design.md rule 125): a task returned by an <c>async</c> method is the runtime's
/// <c>AsyncStateMachineBox&lt;TStateMachine&gt;</c>, whose <c>StateMachine</c> field holds the method's
/// <c>&lt;&gt;1__state</c>, its hoisted locals and its awaiter fields (<c>&lt;&gt;u__N</c>); the active awaiter
/// leads to the next box or to what the chain ends on.
/// </summary>
/// <remarks>
/// Best-effort and feature-detected: it reads private runtime fields that a runtime version may rename.
/// <see cref="IsSupported"/> runs the walk once on a known chain and reports whether it still works; when
/// it does not, chains and holders are simply absent. It runs only when a capture asks, never on the
/// paths it observes, and reads without locking (a state machine may move while it is read: each read
/// is of a reference or a value copied whole, and anything unexpected ends the walk).
/// </remarks>
internal static class AwaitChains
{
    private const int MaxDepth = 64;
    private const BindingFlags Fields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly ConcurrentDictionary<Type, Shape> Shapes = new();
    private static readonly Lazy<bool> Supported = new(SelfTest);

    /// <summary>Whether the walk works on this runtime (checked once, on a chain whose shape is known).</summary>
    public static bool IsSupported => Supported.Value;

    /// <summary>
    /// Walks the chain under <paramref name="task"/>. <paramref name="wait"/>, the child's recorded wait
    /// when current, names a Braid waiter node the chain ends on.
    /// </summary>
    public static Walk Of(Task task, WaitRecord? wait)
    {
        var walk = new Walk();
        if (!IsSupported)
        {
            return walk;
        }

        try
        {
            WalkFrom(task, wait, walk);
        }
#pragma warning disable CA1031 // Best-effort: a state machine that moved under us ends the walk, never the capture.
        catch (Exception)
#pragma warning restore CA1031
        {
            walk.Ending ??= "?";
        }

        return walk;
    }

    private static void WalkFrom(object? awaited, WaitRecord? wait, Walk walk)
    {
        for (var depth = 0; awaited is not null && depth < MaxDepth; depth++)
        {
            var shape = ShapeOf(awaited.GetType());
            if (shape.StateMachine is null)
            {
                walk.Ending = Describe(awaited, wait);
                return;
            }

            var machine = shape.StateMachine.GetValue(awaited);
            if (machine is null)
            {
                return;
            }

            var machineShape = ShapeOf(machine.GetType());
            walk.Frames.Add(MethodName(machine.GetType()));
            awaited = null;
            foreach (var field in machineShape.Awaiters)
            {
                if (AwaitedBy(field.GetValue(machine)) is { } next)
                {
                    awaited = next;
                    break;
                }
            }

            foreach (var field in machineShape.Locals)
            {
                Scan(field.GetValue(machine), walk, 0);
            }

            if (awaited is null && machineShape.State?.GetValue(machine) is >= 0)
            {
                // Suspended on an awaiter that holds no task: Task.Yield, or a custom awaiter.
                var custom = machineShape.Awaiters.Where(f => ShapeOf(f.FieldType) is { AwaiterTask: null, AwaiterValueTask: null }).ToArray();
                walk.Ending = custom.Length == 1 ? AwaiterName(custom[0].FieldType) : "?";
            }
        }
    }

    // The task or value-task source inside an awaiter, or null when the awaiter is not the active one.
    private static object? AwaitedBy(object? awaiter)
    {
        if (awaiter is null)
        {
            return null;
        }

        var shape = ShapeOf(awaiter.GetType());
        if (shape.AwaiterTask?.GetValue(awaiter) is Task task)
        {
            return task;
        }

        if (shape.AwaiterValueTask?.GetValue(awaiter) is { } valueTask)
        {
            return ShapeOf(valueTask.GetType()).ValueTaskObject?.GetValue(valueTask);
        }

        return null;
    }

    // Releasers and receive ends kept by a suspended method, directly or in the closure it captured.
    private static void Scan(object? value, Walk walk, int depth)
    {
        switch (value)
        {
            case null:
                return;
            case AsyncLock.Releaser { Owner: { } lockOwner }:
                if (lockOwner.IsLocked)
                {
                    walk.Held.Add(new Held(lockOwner.Id, nameof(AsyncLock), Exclusive: true));
                }

                return;
            case AsyncReaderWriterLock.Releaser { Owner: { } rw } releaser:
                walk.Held.Add(new Held(rw.Id, nameof(AsyncReaderWriterLock), Exclusive: releaser.IsWriter));
                return;
            case AsyncSemaphore.Releaser { Owner: { } semaphore }:
                walk.Held.Add(new Held(semaphore.Id, nameof(AsyncSemaphore), Exclusive: false));
                return;
            case CapacityLimiter.Lease { Owner: { } limiter }:
                walk.Held.Add(new Held(limiter.Id, nameof(CapacityLimiter), Exclusive: false));
                return;
        }

        var type = value.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(MemoryReceiveChannel<>))
        {
            if (ShapeOf(type).Id?.GetValue(value) is long id)
            {
                walk.ReceiveEnds.Add(id);
            }

            return;
        }

        // A closure the compiler made for a lambda: its captured variables, a few levels deep.
        if (depth < 3 && !type.IsValueType && type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) && type.Name.Contains("DisplayClass", StringComparison.Ordinal))
        {
            foreach (var field in ShapeOf(type).All)
            {
                Scan(field.GetValue(value), walk, depth + 1);
            }
        }
    }

    private static string Describe(object awaited, WaitRecord? wait)
    {
        var type = awaited.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Waiter<>))
        {
            if (wait is not null)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{wait.Kind}#{wait.PrimitiveId}");
            }

            var owner = ShapeOf(type).WaiterOwner?.GetValue(awaited);
            return owner is null ? "Braid waiter" : OwnerName(owner);
        }

        if (awaited is Task)
        {
            var name = type.Name;
            return name.Contains("DelayPromise", StringComparison.Ordinal) ? "Task.Delay"
                : name.Contains("WhenAll", StringComparison.Ordinal) ? "Task.WhenAll"
                : name.Contains("WhenAny", StringComparison.Ordinal) ? "Task.WhenAny"
                : "Task";
        }

        return FriendlyName(type);
    }

    private static string OwnerName(object owner)
    {
        var name = FriendlyName(owner.GetType());
        return ShapeOf(owner.GetType()).Id?.GetValue(owner) is long id ? string.Create(CultureInfo.InvariantCulture, $"{name}#{id}") : name;
    }

    /// <summary><c>Type.Method</c> of a state machine (<c>&lt;Outer&gt;d__3</c> nested in <c>Type</c>), <c>Type.Method.lambda</c> for a lambda.</summary>
    internal static string MethodName(Type machine)
    {
        var name = machine.Name;
        string method;
        if (name.StartsWith("<<", StringComparison.Ordinal) && name.IndexOf('>', StringComparison.Ordinal) is var inner and > 2)
        {
            method = name[2..inner] + ".lambda"; // <<Outer>b__0_0>d: a lambda in Outer
        }
        else
        {
            method = name.StartsWith('<') && name.IndexOf('>', StringComparison.Ordinal) is var end and > 1 ? name[1..end] : name;
        }

        var declaring = machine.DeclaringType;
        while (declaring is not null && declaring.Name.StartsWith('<'))
        {
            declaring = declaring.DeclaringType;
        }

        return declaring is null ? method : FriendlyName(declaring) + "." + method;
    }

    private static string AwaiterName(Type awaiter) =>
        awaiter == typeof(YieldAwaitable.YieldAwaiter) ? "Task.Yield" : FriendlyName(awaiter);

    private static string FriendlyName(Type type)
    {
        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    private static Shape ShapeOf(Type type) => Shapes.GetOrAdd(type, static t => new Shape(t));

    private static bool SelfTest()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = ProbeOuterAsync(gate.Task);
        try
        {
            var walk = new Walk();
            WalkFrom(task, null, walk);
            return walk.Frames.Count == 2
                && walk.Frames[0].EndsWith(nameof(ProbeOuterAsync), StringComparison.Ordinal)
                && walk.Frames[1].EndsWith(nameof(ProbeInnerAsync), StringComparison.Ordinal)
                && walk.Ending == "Task";
        }
#pragma warning disable CA1031 // Any failure means the runtime's shapes changed: the feature is off.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
        finally
        {
            gate.SetResult();
        }
    }

    private static async Task ProbeOuterAsync(Task gate) => await ProbeInnerAsync(gate).ConfigureAwait(false);

    private static async Task ProbeInnerAsync(Task gate) => await gate.ConfigureAwait(false);

    /// <summary>A primitive a suspended child holds through a releaser it keeps.</summary>
    internal readonly record struct Held(long Id, string Kind, bool Exclusive);

    /// <summary>What one walk found.</summary>
    internal sealed class Walk
    {
        /// <summary>The awaiting methods, outermost (the child's own) first.</summary>
        public List<string> Frames { get; } = [];

        /// <summary>What the innermost method awaits, when it is not another async method.</summary>
        public string? Ending { get; set; }

        public List<Held> Held { get; } = [];

        /// <summary>The ids of the memory channels whose receive end the child keeps.</summary>
        public HashSet<long> ReceiveEnds { get; } = [];

        /// <summary>The chain as one line: <c>Type.Outer → Type.Middle → AsyncEvent#5</c>; null when nothing was found.</summary>
        public string? Text => Frames.Count == 0 ? null : string.Join(" → ", Ending is null ? Frames : [.. Frames, Ending]);
    }

    /// <summary>The fields the walk reads of one type, looked up once.</summary>
    private sealed class Shape
    {
        public Shape(Type type)
        {
            All = type.GetFields(Fields);
            StateMachine = type.GetField("StateMachine", Fields) is { } machine && typeof(IAsyncStateMachine).IsAssignableFrom(machine.FieldType) ? machine : null;
            if (typeof(IAsyncStateMachine).IsAssignableFrom(type))
            {
                State = type.GetField("<>1__state", Fields);
                Awaiters = [.. All.Where(f => f.Name.StartsWith("<>u__", StringComparison.Ordinal))];
                Locals = [.. All.Where(f => f.Name != "<>1__state" && !f.Name.StartsWith("<>u__", StringComparison.Ordinal) && !f.Name.StartsWith("<>t__", StringComparison.Ordinal))];
            }

            AwaiterTask = type.GetField("m_task", Fields) is { } t && typeof(Task).IsAssignableFrom(t.FieldType) ? t : null;
            AwaiterValueTask = type.GetField("_value", Fields) is { } v && (v.FieldType == typeof(ValueTask) || (v.FieldType.IsGenericType && v.FieldType.GetGenericTypeDefinition() == typeof(ValueTask<>))) ? v : null;
            ValueTaskObject = type == typeof(ValueTask) || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>)) ? type.GetField("_obj", Fields) : null;
            WaiterOwner = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Waiter<>) ? type.GetField("_owner", Fields) : null;
            Id = type.GetProperty("Id", BindingFlags.Instance | BindingFlags.Public) is { } id && id.PropertyType == typeof(long) ? id : null;
        }

        public FieldInfo[] All { get; }

        public FieldInfo? StateMachine { get; }

        public FieldInfo? State { get; }

        public FieldInfo[] Awaiters { get; } = [];

        public FieldInfo[] Locals { get; } = [];

        public FieldInfo? AwaiterTask { get; }

        public FieldInfo? AwaiterValueTask { get; }

        public FieldInfo? ValueTaskObject { get; }

        public FieldInfo? WaiterOwner { get; }

        public PropertyInfo? Id { get; }
    }
}
