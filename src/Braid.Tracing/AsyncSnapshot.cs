namespace Braid.Tracing;

/// <summary>
/// What <see cref="AsyncProcess.Capture(int)"/> read: the await tree of a live process, the times it took, and
/// which diagnostic contract its Braid speaks. Printed as a flat table (like <c>asyncio ps</c>), an indented
/// tree (like <c>asyncio pstree</c>), JSON or CSV, identical entries optionally coalesced with a count.
/// </summary>
public sealed class AsyncSnapshot
{
    internal AsyncSnapshot(int processId, string processName, string runtimeVersion, int? contractVersion, string? warning, IReadOnlyList<AsyncNode> roots, TimeSpan pauseTime, TimeSpan totalTime)
    {
        ProcessId = processId;
        ProcessName = processName;
        RuntimeVersion = runtimeVersion;
        ContractVersion = contractVersion;
        Warning = warning;
        Roots = roots;
        PauseTime = pauseTime;
        TotalTime = totalTime;
    }

    /// <summary>The process read.</summary>
    public int ProcessId { get; }

    /// <summary>Its name.</summary>
    public string ProcessName { get; }

    /// <summary>The version of its .NET runtime.</summary>
    public string RuntimeVersion { get; }

    /// <summary>The diagnostic contract its Braid speaks (1), 0 when its Braid has none, <see langword="null"/> when it does not load Braid.</summary>
    public int? ContractVersion { get; }

    /// <summary>A line to show the user (a contract this reader does not know), or <see langword="null"/>.</summary>
    public string? Warning { get; }

    /// <summary>The outermost awaiters: nobody in the process awaits them (a <c>Main</c>, a fire-and-forget call, a group nobody awaits yet).</summary>
    public IReadOnlyList<AsyncNode> Roots { get; }

    /// <summary>How long the process was paused: from attaching until it was resumed.</summary>
    public TimeSpan PauseTime { get; }

    /// <summary>How long the whole capture took.</summary>
    public TimeSpan TotalTime { get; }

    /// <summary>How the heap was read: <c>copied N MB</c> (while paused, then read after resuming), <c>read in place</c>, or <c>dump</c>.</summary>
    internal string Source { get; init; } = "read in place";

    /// <summary>Why attaching was refused, when a dump was read instead; else <see langword="null"/>.</summary>
    internal string? Refusal { get; init; }

    /// <summary>Each phase's time (attach, copy, detach, DAC, heap walk, ...), for the benchmark.</summary>
    internal IReadOnlyList<(string Phase, TimeSpan Time, TimeSpan Cpu)> Timings { get; init; } = [];

    /// <summary>The line that says a dump was read (and why), or <see langword="null"/> when the process was attached to.</summary>
    internal string? DumpNote => Source != "dump" ? null
        : Refusal is null ? "read a dump its runtime wrote through the diagnostic port (deleted)"
        : $"{Refusal}; read a dump its runtime wrote through the diagnostic port instead (deleted)";

    /// <summary>
    /// The wait-for cycles among Braid's children (a deadlock): each child awaits an <c>AsyncLock</c> that a method
    /// of the next one holds, found through the lock's releaser kept in the holder's state machine. Children are
    /// numbered in the order found; empty when there is none or the target has no Braid.
    /// </summary>
    public IReadOnlyList<Braid.Diagnostics.WaitCycle> Cycles { get; init; } = [];

    /// <summary>How many pending async methods the tree holds.</summary>
    public int MethodCount => Count(Roots, AsyncNodeKind.Method);

    /// <summary>The tree indented, outermost awaiters first, then what each awaits below it, then any wait-for cycles (<see cref="Cycles"/>).</summary>
    /// <param name="coalesce">Merge identical sibling subtrees into one entry with a count (as <c>dumpasync --coalesce</c>).</param>
    /// <returns>The text, one line per node, ending with a newline.</returns>
    public string ToTree(bool coalesce = false) => SnapshotWriter.Tree(Nodes(coalesce)) + SnapshotWriter.Lines(Cycles);

    /// <summary>One row per innermost await: what it waits on and the chain of awaiters up to the outermost; then any wait-for cycles, one line each.</summary>
    /// <param name="coalesce">Merge identical rows into one with a count.</param>
    /// <returns>The table with a header line.</returns>
    public string ToTable(bool coalesce = false) => SnapshotWriter.Table(Nodes(coalesce), Cycles, coalesce);

    /// <summary>The table as CSV (RFC 4180 quoting); each wait-for cycle is a last row <c>cycle,,PATH</c>.</summary>
    /// <param name="coalesce">Merge identical rows into one with a count.</param>
    /// <returns>The CSV text with a header line.</returns>
    public string ToCsv(bool coalesce = false) => SnapshotWriter.Csv(Nodes(coalesce), Cycles, coalesce);

    /// <summary>The snapshot as indented JSON: the process, the times, the tree (<c>roots</c>, nested <c>children</c>) and the wait-for cycles (<c>cycles</c>: each a <c>path</c> and its <c>children</c>).</summary>
    /// <param name="coalesce">Merge identical sibling subtrees into one entry with a count.</param>
    /// <returns>The JSON text.</returns>
    public string ToJson(bool coalesce = false) => SnapshotWriter.Json(this, Nodes(coalesce));

    /// <summary>One line: the process, its runtime, how many async methods are pending, and the pause and total times.</summary>
    /// <returns>The line, without a newline.</returns>
    public string Summary() =>
        $"process {ProcessId} ({ProcessName}, .NET {RuntimeVersion}): {MethodCount} pending async methods; paused {SnapshotWriter.Format(PauseTime)}, total {SnapshotWriter.Format(TotalTime)}";

    private IReadOnlyList<AsyncNode> Nodes(bool coalesce) => coalesce ? SnapshotWriter.Coalesce(Roots) : Roots;

    private static int Count(IReadOnlyList<AsyncNode> nodes, AsyncNodeKind kind) =>
        nodes.Sum(n => (n.Kind == kind ? n.Count : 0) + (n.Count * Count(n.Children, kind)));
}
