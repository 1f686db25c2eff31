using Braid.Pipelines;

namespace Braid.Lab.Graphs;

/// <summary>What <see cref="GraphPipeline"/> reads, how it groups and builds, and where it writes.</summary>
public sealed record GraphPipelineOptions
{
    /// <summary>The WordNet data files to stream, in order (e.g. <c>dict/data.noun</c>).</summary>
    public required IReadOnlyList<string> DataFiles { get; init; }

    /// <summary>Where to write the graph, or <see langword="null"/> to write nothing.</summary>
    public string? OutputPath { get; init; }

    /// <summary>The output format (default GEXF).</summary>
    public GraphFormat Format { get; init; } = GraphFormat.Gexf;

    /// <summary>Group synsets by lexicographer file (default) or, when <see langword="false"/>, by the first letter of their first word.</summary>
    public bool GroupByLexFile { get; init; } = true;

    /// <summary>The most synsets in one group; a larger group is built in several pieces (default 512).</summary>
    public int MaxGroupSize { get; init; } = 512;

    /// <summary>Workers that build group graphs, and workers that merge them (default 4).</summary>
    public int Workers { get; init; } = 4;

    /// <summary>The clock for statistics, progress and the summary's times (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Called with a statistics snapshot every <see cref="ProgressInterval"/> while the pipeline runs, on a
    /// timer thread, and once more with the final snapshot, which is <see cref="GraphSummary.Statistics"/>
    /// (see <see cref="PipelineOptions.OnProgress"/>). Must be fast; its exceptions are discarded.
    /// </summary>
    public Action<PipelineStatistics>? OnProgress { get; init; }

    /// <summary>How often <see cref="OnProgress"/> is called (default 1 s, on <see cref="TimeProvider"/>); greater than zero.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);
}
