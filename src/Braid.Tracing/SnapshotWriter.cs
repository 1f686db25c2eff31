using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Braid.Diagnostics;

namespace Braid.Tracing;

/// <summary>Prints an <see cref="AsyncSnapshot"/>'s tree the way <c>Braid.Diagnostics</c>' task tree prints (same glyphs, same group and child labels).</summary>
internal static class SnapshotWriter
{
    private const string Separator = " ← ";

    public static string Tree(IReadOnlyList<AsyncNode> roots)
    {
        var text = new StringBuilder();
        foreach (var root in roots)
        {
            Write(text, root, string.Empty, string.Empty);
        }

        return text.ToString();
    }

    public static string Table(IReadOnlyList<AsyncNode> roots, IReadOnlyList<WaitCycle> cycles, bool coalesce)
    {
        var rows = Rows(roots, coalesce).Select(r => new[] { r.Key, r.Awaits ?? "-", r.Chain }).ToList();
        rows.Insert(0, [coalesce ? "count" : "task", "awaits", "chain (innermost ← outermost)"]);
        var widths = Enumerable.Range(0, 2).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.Append(row[0].PadRight(widths[0])).Append("  ").Append(row[1].PadRight(widths[1])).Append("  ").Append(row[2]).Append('\n');
        }

        return text.Append(Lines(cycles)).ToString();
    }

    public static string Csv(IReadOnlyList<AsyncNode> roots, IReadOnlyList<WaitCycle> cycles, bool coalesce)
    {
        var text = new StringBuilder(coalesce ? "count,awaits,chain\n" : "task,awaits,chain\n");
        foreach (var row in Rows(roots, coalesce))
        {
            text.Append(Quote(row.Key)).Append(',').Append(Quote(row.Awaits ?? string.Empty)).Append(',').Append(Quote(row.Chain)).Append('\n');
        }

        // A cycle is a row of its own: "cycle" in the first column, the path (as in-process) in the chain column.
        foreach (var cycle in cycles)
        {
            text.Append("cycle,,").Append(Quote(cycle.ToString())).Append('\n');
        }

        return text.ToString();
    }

    public static string Json(AsyncSnapshot snapshot, IReadOnlyList<AsyncNode> roots)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("pid", snapshot.ProcessId);
            json.WriteString("process", snapshot.ProcessName);
            json.WriteString("runtime", snapshot.RuntimeVersion);
            if (snapshot.ContractVersion is { } contract)
            {
                json.WriteNumber("braidContract", contract);
            }
            else
            {
                json.WriteNull("braidContract");
            }

            json.WriteNumber("pauseMs", Math.Round(snapshot.PauseTime.TotalMilliseconds, 1));
            json.WriteNumber("totalMs", Math.Round(snapshot.TotalTime.TotalMilliseconds, 1));
            json.WriteNumber("methods", snapshot.MethodCount);
            json.WriteStartArray("roots");
            foreach (var root in roots)
            {
                Write(json, root);
            }

            json.WriteEndArray();
            json.WriteStartArray("cycles");
            foreach (var cycle in snapshot.Cycles)
            {
                Write(json, cycle);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Each cycle's path on a line of its own (as <c>Braid.Diagnostics</c>' task tree prints it).</summary>
    public static string Lines(IReadOnlyList<WaitCycle> cycles) => string.Concat(cycles.Select(c => c + "\n"));

    /// <summary>Merges identical sibling subtrees (same kind, name, awaited thing and children) into one entry with a count.</summary>
    public static IReadOnlyList<AsyncNode> Coalesce(IReadOnlyList<AsyncNode> nodes)
    {
        var result = new List<AsyncNode>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var merged = node with { Address = 0, Children = Coalesce(node.Children) };
            var key = Signature(merged);
            if (index.TryGetValue(key, out var at))
            {
                result[at] = result[at] with { Count = result[at].Count + merged.Count };
                continue;
            }

            index[key] = result.Count;
            result.Add(merged);
        }

        return result;
    }

    public static string Format(TimeSpan span) => span < TimeSpan.FromSeconds(1)
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:F0} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:F2} s");

    private static string Signature(AsyncNode node) =>
        string.Create(CultureInfo.InvariantCulture, $"{node.Kind}|{node.Name}|{node.Awaiting}|{node.Count}[{string.Join(';', node.Children.Select(Signature))}]");

    private static void Write(StringBuilder text, AsyncNode node, string lead, string indent)
    {
        text.Append(lead).Append(node).Append('\n');
        for (var i = 0; i < node.Children.Count; i++)
        {
            var last = i == node.Children.Count - 1;
            Write(text, node.Children[i], indent + (last ? "└── " : "├── "), indent + (last ? "    " : "│   "));
        }
    }

    private static void Write(Utf8JsonWriter json, AsyncNode node)
    {
        json.WriteStartObject();
        json.WriteString("kind", node.Kind switch
        {
            AsyncNodeKind.Method => "method",
            AsyncNodeKind.TaskGroup => "taskGroup",
            AsyncNodeKind.Child => "child",
            _ => "task",
        });
        json.WriteString("name", node.Name);
        if (node.Type is not null)
        {
            json.WriteString("type", node.Type);
        }

        if (node.State is { } state)
        {
            json.WriteNumber("state", state);
        }

        if (node.Awaiting is not null)
        {
            json.WriteString("awaiting", node.Awaiting);
        }

        if (node.Address != 0)
        {
            json.WriteString("address", Hex(node.Address));
        }

        json.WriteNumber("count", node.Count);
        json.WriteStartArray("children");
        foreach (var child in node.Children)
        {
            Write(json, child);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Write(Utf8JsonWriter json, WaitCycle cycle)
    {
        json.WriteStartObject();
        json.WriteString("path", cycle.ToString());
        json.WriteStartArray("children");
        foreach (var child in cycle.Children)
        {
            json.WriteStartObject();
            json.WriteNumber("id", child.Id);
            if (child.Name is not null)
            {
                json.WriteString("name", child.Name);
            }
            else
            {
                json.WriteNull("name");
            }

            json.WriteString("waitingOn", $"{child.WaitingOn!.Kind}#{child.WaitingOn.PrimitiveId}");
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static IEnumerable<(string Key, string? Awaits, string Chain)> Rows(IReadOnlyList<AsyncNode> roots, bool coalesce)
    {
        var rows = new List<(AsyncNode Leaf, long Count, string Chain)>();
        var path = new List<AsyncNode>();

        void Walk(AsyncNode node, long count)
        {
            path.Add(node);
            count *= node.Count;
            if (node.Children.Count == 0)
            {
                rows.Add((node, count, string.Join(Separator, Enumerable.Reverse(path).Select(n => n.Name))));
            }

            foreach (var child in node.Children)
            {
                Walk(child, count);
            }

            path.RemoveAt(path.Count - 1);
        }

        foreach (var root in roots)
        {
            Walk(root, 1);
        }

        if (!coalesce)
        {
            return rows.Select(r => (Hex(r.Leaf.Address), r.Leaf.Awaiting, r.Chain));
        }

        return rows
            .GroupBy(r => (r.Leaf.Awaiting, r.Chain))
            .Select(g => (Count: g.Sum(r => r.Count), g.Key.Awaiting, g.Key.Chain))
            .OrderByDescending(r => r.Count)
            .ThenBy(r => r.Chain, StringComparer.Ordinal)
            .Select(r => (r.Count.ToString(CultureInfo.InvariantCulture), r.Awaiting, r.Chain));
    }

    private static string Hex(ulong address) => "0x" + address.ToString("x", CultureInfo.InvariantCulture);

    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\n\r") < 0 ? cell : "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
