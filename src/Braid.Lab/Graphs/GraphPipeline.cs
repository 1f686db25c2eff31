using System.Runtime.CompilerServices;
using Braid.Coordination;
using Braid.Lab.Output;
using Braid.Pipelines;

namespace Braid.Lab.Graphs;

/// <summary>
/// The book's graph pipeline: stream WordNet synsets, group them by key, build a small graph per
/// group with parallel workers, merge each into one global graph under a lock, write it out.
/// </summary>
public static class GraphPipeline
{
    /// <summary>Runs the pipeline and returns the summary; the graph is written when <see cref="GraphPipelineOptions.OutputPath"/> is set.</summary>
    /// <param name="options">What to read and write.</param>
    /// <param name="cancellationToken">Stops every stage.</param>
    /// <exception cref="PipelineException">A stage failed (for example a malformed record); holds every failure.</exception>
    public static async Task<GraphSummary> RunAsync(GraphPipelineOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Workers, 1);
        var (graph, statistics) = await BuildAsync(options, cancellationToken).ConfigureAwait(false);
        var time = options.TimeProvider;
        var searching = time.GetTimestamp();
        var largest = graph.LargestComponentSize();
        var componentTime = time.GetElapsedTime(searching);
        var writing = time.GetTimestamp();
        if (options.OutputPath is { } path)
        {
            await WriteAsync(graph, path, options.Format, cancellationToken).ConfigureAwait(false);
        }

        return new GraphSummary(
            statistics.Stages[0].ItemsOut,
            statistics.Stages.Single(s => s.Name == "build").ItemsOut,
            graph.NodeCount,
            graph.EdgeCount,
            largest,
            statistics,
            componentTime,
            time.GetElapsedTime(writing));
    }

    /// <summary>Builds the merged graph without writing it; the statistics are the final snapshot (the last one <see cref="GraphPipelineOptions.OnProgress"/> received).</summary>
    /// <param name="options">What to read.</param>
    /// <param name="cancellationToken">Stops every stage.</param>
    public static async Task<(LexicalGraph Graph, PipelineStatistics Statistics)> BuildAsync(GraphPipelineOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var global = new LexicalGraph();

        // Workers build group graphs in parallel; merging into the one global graph is serialised.
        var mergeLock = new AsyncLock();
        var pipelineOptions = new PipelineOptions
        {
            Name = "wordnet-graph",
            TimeProvider = options.TimeProvider,
            OnProgress = options.OnProgress,
            ProgressInterval = options.ProgressInterval,
        };
        var statistics = await Pipeline.From(ct => ReadAllAsync(options.DataFiles, ct), pipelineOptions)
            .GroupBy(s => options.GroupByLexFile ? s.LexFileName : FirstLetter(s), options.MaxGroupSize, maxOpenGroups: 64)
            .Map(group => LexicalGraph.Build(group.Items), new StageOptions { Name = "build", Workers = options.Workers, Ordered = false })
            .Map(
                async (graph, ct) =>
                {
                    using (await mergeLock.LockAsync(ct).ConfigureAwait(false))
                    {
                        global.Merge(graph);
                    }

                    return graph.NodeCount;
                },
                new StageOptions { Name = "merge", Workers = options.Workers, Ordered = false })
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
        return (global, statistics);
    }

    /// <summary>
    /// Writes <paramref name="graph"/> to <paramref name="path"/> in <paramref name="format"/> through
    /// <see cref="OutputFile"/> (design rule 97): a regular file is replaced whole, never truncated first, so an
    /// interrupted write leaves the previous file; <c>-</c> is standard output.
    /// </summary>
    /// <param name="graph">The graph.</param>
    /// <param name="path">The file, created or replaced, or <c>-</c>.</param>
    /// <param name="format">GEXF or GraphML.</param>
    /// <param name="cancellationToken">Stops the writing; the target is then left as it was.</param>
    public static Task WriteAsync(LexicalGraph graph, string path, GraphFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return OutputFile.WriteAsync(
            path,
            async (stream, ct) =>
            {
                var writer = new StreamWriter(stream, leaveOpen: true);
                await using (writer.ConfigureAwait(false))
                {
                    var writing = format == GraphFormat.GraphML ? graph.WriteGraphMLAsync(writer, ct) : graph.WriteGexfAsync(writer, ct);
                    await writing.ConfigureAwait(false);
                }
            },
            cancellationToken);
    }

    private static string FirstLetter(Synset synset) =>
        synset.Words.Count > 0 && synset.Words[0].Length > 0 ? char.ToLowerInvariant(synset.Words[0][0]).ToString() : "?";

    private static async IAsyncEnumerable<Synset> ReadAllAsync(IReadOnlyList<string> files, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            await foreach (var synset in WordNetReader.ReadAsync(file, cancellationToken).ConfigureAwait(false))
            {
                yield return synset;
            }
        }
    }
}
