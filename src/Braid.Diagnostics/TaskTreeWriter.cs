using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Braid.Diagnostics;

/// <summary>Prints a <see cref="TaskTree"/> as an indented tree, a table, JSON and CSV.</summary>
internal static class TaskTreeWriter
{
    private static readonly string[] Columns = ["task", "name", "group", "state", "age", "waits on", "held by", "count", "awaited by", "await chain"];

    public static string Text(TaskTree tree)
    {
        var text = new StringBuilder();
        foreach (var loop in tree.Loops)
        {
            text.Append(LoopLabel(loop)).Append('\n');
            for (var i = 0; i < loop.Groups.Count; i++)
            {
                var last = i == loop.Groups.Count - 1;
                WriteGroup(text, loop.Groups[i], last ? "└── " : "├── ", last ? "    " : "│   ");
            }
        }

        foreach (var group in tree.Groups.Where(g => !tree.Loops.Any(l => l.Id == g.LoopId)))
        {
            WriteGroup(text, group, string.Empty, string.Empty);
        }

        foreach (var cycle in tree.FindCycles())
        {
            text.Append(cycle).Append('\n');
        }

        return text.ToString();
    }

    public static string Table(TaskTree tree)
    {
        var rows = Rows(tree).Select(r => new[] { r.Task, r.Name ?? "-", r.Group, r.State, r.Age, r.WaitsOn ?? "-", r.HeldBy ?? "-", r.Count, r.AwaitedBy ?? "-", r.AwaitChain ?? "-" }).ToList();
        rows.Insert(0, Columns);
        var widths = Enumerable.Range(0, Columns.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.Append(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i])))).Append('\n');
        }

        return text.ToString();
    }

    public static string Csv(TaskTree tree)
    {
        var text = new StringBuilder("task,name,group,group_name,state,age_ms,waits_on,waits_on_id,held_by,held_by_name,count,loop,awaited_by,await_chain\n");
        foreach (var child in TaskTree.Coalesce(tree.Children))
        {
            string[] cells =
            [
                Number(child.Id), child.Name ?? string.Empty, Number(child.GroupId), child.GroupName ?? string.Empty, child.State,
                Number((long)child.Age.TotalMilliseconds), child.WaitingOn?.Kind ?? string.Empty,
                child.WaitingOn is { } wait ? Number(wait.PrimitiveId) : string.Empty,
                child.WaitingOn is { HolderChildId: > 0 } held ? Number(held.HolderChildId) : string.Empty,
                child.HolderName ?? string.Empty, Number(child.Count),
                LoopOf(tree, child.GroupId) is > 0 and var loop ? Number(loop) : string.Empty,
                child.AwaitedBy ?? string.Empty, child.AwaitChain ?? string.Empty,
            ];
            text.Append(string.Join(',', cells.Select(Quote))).Append('\n');
        }

        return text.ToString();
    }

    public static string Json(TaskTree tree)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartArray("loops");
            foreach (var loop in tree.Loops)
            {
                json.WriteStartObject();
                json.WriteNumber("id", loop.Id);
                json.WriteNumber("pendingSteps", loop.PendingSteps);
                if (loop.ActiveTimers is { } timers)
                {
                    json.WriteNumber("activeTimers", timers);
                }

                json.WriteNumber("stepsRun", loop.StepsRun);
                json.WriteBoolean("debug", loop.IsDebugMode);
                json.WriteStartArray("groups");
                foreach (var group in loop.Groups)
                {
                    WriteGroup(json, group);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("groups");
            foreach (var group in tree.Groups.Where(g => !tree.Loops.Any(l => l.Id == g.LoopId)))
            {
                WriteGroup(json, group);
            }

            json.WriteEndArray();
            json.WriteStartArray("cycles");
            foreach (var cycle in tree.FindCycles())
            {
                json.WriteStartObject();
                json.WriteString("text", cycle.ToString());
                json.WriteStartArray("children");
                foreach (var child in cycle.Children)
                {
                    json.WriteNumberValue(child.Id);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>An age as people read it: <c>350 ms</c> under a second, <c>2.5 s</c> from there.</summary>
    public static string Age(TimeSpan age) => age < TimeSpan.FromSeconds(1)
        ? string.Create(CultureInfo.InvariantCulture, $"{(long)age.TotalMilliseconds} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{age.TotalSeconds:0.0} s");

    private static void WriteGroup(StringBuilder text, TaskTreeGroup group, string lead, string indent)
    {
        text.Append(lead).Append(GroupLabel(group.Id, group.Name)).Append(" (").Append(group.State);
        if (group.State != "unrecorded")
        {
            text.Append(", ").Append(Age(group.Age));
        }

        text.Append(")\n");
        var items = group.Children.Select(c => (Child: (TaskTreeChild?)c, Group: (TaskTreeGroup?)null))
            .Concat(group.Groups.Select(g => (Child: (TaskTreeChild?)null, Group: (TaskTreeGroup?)g)))
            .ToList();
        for (var i = 0; i < items.Count; i++)
        {
            var last = i == items.Count - 1;
            var itemLead = indent + (last ? "└── " : "├── ");
            var itemIndent = indent + (last ? "    " : "│   ");
            if (items[i].Child is { } child)
            {
                WriteChild(text, child, itemLead, itemIndent);
            }
            else
            {
                WriteGroup(text, items[i].Group!, itemLead, itemIndent);
            }
        }
    }

    private static void WriteChild(StringBuilder text, TaskTreeChild child, string lead, string indent)
    {
        text.Append(lead).Append(ChildLabel(child.Id, child.Name)).Append(" (").Append(child.State).Append(", ").Append(Age(child.Age)).Append(')');
        if (child.WaitingOn is { } wait)
        {
            text.Append(CultureInfo.InvariantCulture, $" on {wait.Kind}#{wait.PrimitiveId}");
            if (child.Holders.Count > 0)
            {
                text.Append(child.Holders.Count == 1 || wait.NeedsAllHolders ? " held by " : " held by one of ").AppendJoin(", ", child.Holders);
            }
        }

        if (child.Count > 1)
        {
            text.Append(CultureInfo.InvariantCulture, $" ×{child.Count}");
        }

        if (child.AwaitChain is { } chain)
        {
            text.Append(" awaiting ").Append(chain);
        }

        text.Append('\n');
        for (var i = 0; i < child.Groups.Count; i++)
        {
            var last = i == child.Groups.Count - 1;
            WriteGroup(text, child.Groups[i], indent + (last ? "└── " : "├── "), indent + (last ? "    " : "│   "));
        }
    }

    private static void WriteGroup(Utf8JsonWriter json, TaskTreeGroup group)
    {
        json.WriteStartObject();
        json.WriteNumber("id", group.Id);
        WriteName(json, group.Name);
        json.WriteString("state", group.State);
        json.WriteNumber("ageMs", (long)group.Age.TotalMilliseconds);
        json.WriteStartArray("children");
        foreach (var child in group.Children)
        {
            json.WriteStartObject();
            json.WriteNumber("id", child.Id);
            WriteName(json, child.Name);
            json.WriteString("state", child.State);
            json.WriteNumber("ageMs", (long)child.Age.TotalMilliseconds);
            json.WriteNumber("count", child.Count);
            if (child.WaitingOn is { } wait)
            {
                json.WriteStartObject("waitsOn");
                json.WriteString("kind", wait.Kind);
                json.WriteNumber("id", wait.PrimitiveId);
                if (wait.HolderChildId > 0)
                {
                    json.WriteNumber("heldBy", wait.HolderChildId);
                }

                if (wait.Holders.Count > 1)
                {
                    json.WriteStartArray("holders");
                    foreach (var holder in wait.Holders)
                    {
                        json.WriteNumberValue(holder);
                    }

                    json.WriteEndArray();
                    json.WriteBoolean("needsAll", wait.NeedsAllHolders);
                }

                json.WriteEndObject();
            }

            if (child.AwaitChain is { } chain)
            {
                json.WriteString("awaitChain", chain);
            }

            if (child.AwaitedBy is { } awaitedBy)
            {
                json.WriteString("awaitedBy", awaitedBy);
            }

            json.WriteStartArray("groups");
            foreach (var nested in child.Groups)
            {
                WriteGroup(json, nested);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("groups");
        foreach (var nested in group.Groups)
        {
            WriteGroup(json, nested);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteName(Utf8JsonWriter json, string? name)
    {
        if (name is null)
        {
            json.WriteNull("name");
        }
        else
        {
            json.WriteString("name", name);
        }
    }

    private static IEnumerable<(string Task, string? Name, string Group, string State, string Age, string? WaitsOn, string? HeldBy, string Count, string? AwaitedBy, string? AwaitChain)> Rows(TaskTree tree) =>
        TaskTree.Coalesce(tree.Children).Select(c => (
            Number(c.Id),
            c.Name,
            GroupLabel(c.GroupId, c.GroupName)["task group ".Length..],
            c.State,
            Age(c.Age),
            c.WaitingOn is { } wait ? string.Create(CultureInfo.InvariantCulture, $"{wait.Kind}#{wait.PrimitiveId}") : null,
            c.Holders.Count > 0 ? string.Join(", ", c.Holders.Select(h => h["child ".Length..])) : null,
            Number(c.Count),
            c.AwaitedBy?["child ".Length..],
            c.AwaitChain));

    private static string GroupLabel(long id, string? name) =>
        name is null ? string.Create(CultureInfo.InvariantCulture, $"task group #{id}") : string.Create(CultureInfo.InvariantCulture, $"task group #{id} '{name}'");

    internal static string ChildLabel(long id, string? name) =>
        name is null ? string.Create(CultureInfo.InvariantCulture, $"child {id}") : string.Create(CultureInfo.InvariantCulture, $"child {id} '{name}'");

    private static string LoopLabel(TaskTreeLoop loop)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"loop #{loop.Id} ({loop.PendingSteps} pending {(loop.PendingSteps == 1 ? "step" : "steps")}");
        if (loop.ActiveTimers is { } timers)
        {
            text.Append(CultureInfo.InvariantCulture, $", {timers} {(timers == 1 ? "timer" : "timers")}");
        }

        text.Append(CultureInfo.InvariantCulture, $", {loop.StepsRun} {(loop.StepsRun == 1 ? "step" : "steps")} run");
        if (loop.IsDebugMode)
        {
            text.Append(", debug");
        }

        return text.Append(')').ToString();
    }

    // The loop of a child's outermost group (nested groups are on their parent's loop).
    private static long LoopOf(TaskTree tree, long groupId)
    {
        foreach (var root in tree.Groups)
        {
            if (Contains(root, groupId))
            {
                return root.LoopId;
            }
        }

        return 0;

        static bool Contains(TaskTreeGroup group, long id) =>
            group.Id == id || group.Groups.Any(g => Contains(g, id)) || group.Children.Any(c => c.Groups.Any(g => Contains(g, id)));
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\n\r") < 0 ? cell : "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
