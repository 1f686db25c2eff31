using System.Globalization;

namespace Braid.Diagnostics.Tracing;

/// <summary>
/// Turns a recorder's raw events into trace events: thread slices from the synchronous work, async
/// slices from the operations, awaits that hopped threads and Braid's groups and children, flows from a
/// completion (or a scheduled continuation) on one thread to the continuation on another, instants and
/// counters. Written sorted by time (stable), so the output of one recording is deterministic.
/// </summary>
internal static class TraceTranslator
{
    public const string TasksCategory = "tasks";
    public const string AwaitCategory = "await";
    public const string BraidCategory = "braid";
    public const string BlockingCategory = "blocking";
    public const string FlowName = "continuation";

    public static void Write(IReadOnlyList<TraceRecord> records, TimeSpan end, ChromeTraceWriter writer)
    {
        var output = new List<(TimeSpan Time, Action<ChromeTraceWriter> Write)>();
        var names = new Dictionary<long, string>();
        var depth = new Dictionary<int, int>();
        var openAsync = new Dictionary<string, Stack<(string Name, string Category)>>();
        var awaits = new Dictionary<long, Queue<(long Awaiting, int Thread, TimeSpan Time)>>();
        var blocked = new HashSet<(int Thread, long Task)>();
        var completions = new Dictionary<long, (int Thread, TimeSpan Time)>();
        var scheduled = new Dictionary<long, (int Thread, TimeSpan Time)>();
        var queuedTasks = new Dictionary<long, (int Thread, TimeSpan Time)>();
        var children = new Dictionary<(long Group, string? Name), Queue<string>>();
        long nextFlow = 0;
        long nextChild = 0;

        void Emit(TimeSpan time, Action<ChromeTraceWriter> write) => output.Add((time, write));

        void OpenAsyncSlice(string id, int thread, TimeSpan time, string name, string category, KeyValuePair<string, string>[]? args = null)
        {
            if (!openAsync.TryGetValue(id, out var stack))
            {
                openAsync[id] = stack = new();
            }

            stack.Push((name, category));
            Emit(time, w => w.BeginAsyncSlice(id, thread, time, name, category, args));
        }

        void CloseAsyncSlice(string id, int thread, TimeSpan time, KeyValuePair<string, string>[]? args = null)
        {
            if (openAsync.TryGetValue(id, out var stack) && stack.TryPop(out var open))
            {
                Emit(time, w => w.EndAsyncSlice(id, thread, time, open.Name, open.Category, args));
                if (stack.Count == 0)
                {
                    openAsync.Remove(id);
                }
            }
        }

        void Flow(int fromThread, TimeSpan from, int toThread, TimeSpan to)
        {
            var id = ++nextFlow;
            Emit(from, w => w.StartFlow(id, fromThread, from, FlowName, TasksCategory));
            Emit(to, w => w.EndFlow(id, toThread, to, FlowName, TasksCategory));
        }

        string NameOf(long task) => names.TryGetValue(task, out var name) ? name : "task " + task.ToString(CultureInfo.InvariantCulture);

        foreach (var r in records)
        {
            var (thread, time) = (r.Thread, r.Time);
            switch (r.Kind)
            {
                case TraceRecordKind.Thread:
                    Emit(TimeSpan.MinValue, w => w.WriteThreadName(thread, r.Name!));
                    break;
                case TraceRecordKind.OperationBegin:
                    names[r.A] = OperationName(r.Name);
                    OpenAsyncSlice(TaskId(r.A), thread, time, NameOf(r.A), TasksCategory, [new("task", Id(r.A))]);
                    break;
                case TraceRecordKind.OperationEnd:
                    CloseAsyncSlice(TaskId(r.A), thread, time);
                    break;
                case TraceRecordKind.TaskScheduled:
                    queuedTasks[r.A] = (thread, time);
                    break;
                case TraceRecordKind.WorkBegin:
                    {
                        // A task queued on one thread starts running on another: the flow lands on this slice.
                        if (r.B == 2 && queuedTasks.Remove(r.A, out var queuedAt) && queuedAt.Thread != thread)
                        {
                            Flow(queuedAt.Thread, queuedAt.Time, thread, time);
                        }

                        depth[thread] = depth.GetValueOrDefault(thread) + 1;
                        var name = r.B switch
                        {
                            0 => "completion of " + NameOf(r.A),
                            1 => "cancellation of " + NameOf(r.A),
                            3 => "error of " + NameOf(r.A),
                            _ => NameOf(r.A),
                        };
                        Emit(time, w => w.BeginSlice(thread, time, name, TasksCategory, [new("task", Id(r.A))]));
                        if (r.B == 0)
                        {
                            completions[r.A] = (thread, time);
                        }

                        break;
                    }

                case TraceRecordKind.WorkEnd:
                case TraceRecordKind.ContinuationEnd:
                    if (depth.GetValueOrDefault(thread) > 0)
                    {
                        depth[thread]--;
                        Emit(time, w => w.EndSlice(thread, time));
                    }

                    break;
                case TraceRecordKind.ContinuationScheduled:
                    scheduled[r.A] = (thread, time);
                    break;
                case TraceRecordKind.ContinuationStarted:
                    depth[thread] = depth.GetValueOrDefault(thread) + 1;
                    if (scheduled.Remove(r.A, out var from) && from.Thread != thread)
                    {
                        Flow(from.Thread, from.Time, thread, time);
                    }

                    Emit(time, w => w.BeginSlice(thread, time, "continuation", TasksCategory, [new("continuation", Id(r.A))]));
                    break;
                case TraceRecordKind.AwaitBegin:
                    if (!awaits.TryGetValue(r.A, out var queue))
                    {
                        awaits[r.A] = queue = new();
                    }

                    queue.Enqueue((r.B, thread, time));
                    break;
                case TraceRecordKind.Blocked:
                    blocked.Add((thread, r.A));
                    Emit(time, w => w.WriteInstant(thread, time, "blocking wait on " + NameOf(r.A), BlockingCategory, [new("task", Id(r.A))]));
                    break;
                case TraceRecordKind.WaitEnd:
                    if (blocked.Remove((thread, r.A)))
                    {
                        break;
                    }

                    // An await ends: the awaiting method is about to resume here. Only a hop is drawn.
                    if (completions.TryGetValue(r.A, out var completed) && completed.Thread != thread)
                    {
                        Flow(completed.Thread, completed.Time, thread, time);
                    }

                    if (awaits.TryGetValue(r.A, out var waiting) && waiting.TryDequeue(out var begun))
                    {
                        if (waiting.Count == 0)
                        {
                            awaits.Remove(r.A);
                        }

                        if (begun.Thread != thread)
                        {
                            var id = TaskId(begun.Awaiting);
                            OpenAsyncSlice(id, begun.Thread, begun.Time, "await " + NameOf(r.A), AwaitCategory, [new("awaited", Id(r.A)), new("from thread", Id(begun.Thread)), new("to thread", Id(thread))]);
                            CloseAsyncSlice(id, thread, time);
                        }
                    }

                    break;
                case TraceRecordKind.GroupStarted:
                    OpenAsyncSlice(GroupId(r.A), thread, time, $"task group #{Id(r.A)}" + (r.Name is null ? string.Empty : $" '{r.Name}'"), BraidCategory);
                    break;
                case TraceRecordKind.GroupFinished:
                    CloseAsyncSlice(GroupId(r.A), thread, time, [new("status", r.Detail ?? string.Empty)]);
                    break;
                case TraceRecordKind.ChildStarted:
                    {
                        // A child is known by its group and name: same-named children of a group are paired first started, first finished.
                        var id = "child:" + (++nextChild).ToString(CultureInfo.InvariantCulture);
                        if (!children.TryGetValue((r.A, r.Name), out var live))
                        {
                            children[(r.A, r.Name)] = live = new();
                        }

                        live.Enqueue(id);
                        OpenAsyncSlice(id, thread, time, "child" + (r.Name is null ? string.Empty : $" '{r.Name}'"), BraidCategory, [new("group", Id(r.A))]);
                        break;
                    }

                case TraceRecordKind.ChildFinished:
                    if (children.TryGetValue((r.A, r.Name), out var started) && started.TryDequeue(out var child))
                    {
                        CloseAsyncSlice(child, thread, time, [new("status", r.Detail ?? string.Empty)]);
                    }

                    break;
                case TraceRecordKind.Waiter:
                    Emit(time, w => w.WriteInstant(thread, time, $"{r.Name}#{Id(r.A)} waiter {r.Detail}", BraidCategory));
                    break;
                case TraceRecordKind.LoopBlocked:
                    Emit(time, w => w.WriteInstant(thread, time, "loop blocked in " + r.Name, BlockingCategory, [new("loop", Id(r.A))]));
                    break;
                case TraceRecordKind.Counter:
                    Emit(time, w => w.WriteCounter(time, "thread pool", [new("threads", r.A), new("queued", r.B)]));
                    break;
            }
        }

        // What is still open ends with the trace, innermost first: slices on threads, then async slices.
        foreach (var (thread, open) in depth)
        {
            for (var i = 0; i < open; i++)
            {
                Emit(end, w => w.EndSlice(thread, end));
            }
        }

        foreach (var (id, stack) in openAsync.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            while (stack.TryPop(out var open))
            {
                Emit(end, w => w.EndAsyncSlice(id, 0, end, open.Name, open.Category, [new("unfinished", "true")]));
            }
        }

        foreach (var (_, write) in output.OrderBy(e => e.Time))
        {
            write(writer);
        }
    }

    /// <summary>"Async: &lt;Outer&gt;d__3" and a local function's "Async: &lt;&lt;Main&gt;$&gt;g__Outer|0_1&gt;d" both become "Outer".</summary>
    internal static string OperationName(string? name)
    {
        if (name is null)
        {
            return "task";
        }

        const string Prefix = "Async: ";
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return name;
        }

        var type = name[Prefix.Length..];
        var local = type.LastIndexOf("g__", StringComparison.Ordinal);
        if (local >= 0)
        {
            var bar = type.IndexOf('|', local);
            return bar > local ? type[(local + 3)..bar] : type[(local + 3)..];
        }

        var trimmed = type.TrimStart('<');
        var close = trimmed.IndexOf('>', StringComparison.Ordinal);
        return close > 0 ? trimmed[..close] : type;
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static string TaskId(long task) => "task:" + Id(task);

    private static string GroupId(long group) => "group:" + Id(group);
}
