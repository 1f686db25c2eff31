using Braid.Pipelines;

namespace Braid.Lab.Graphs;

/// <summary>What <see cref="GraphPipeline.RunAsync"/> built, and where its time went (all on <see cref="GraphPipelineOptions.TimeProvider"/>).</summary>
/// <param name="Synsets">Synsets streamed.</param>
/// <param name="Groups">Groups built (a key split by the size limit counts once per piece).</param>
/// <param name="Nodes">Nodes in the merged graph.</param>
/// <param name="Edges">Edges in the merged graph.</param>
/// <param name="LargestComponent">Nodes in its largest weakly connected component.</param>
/// <param name="Statistics">The pipeline's final statistics: the last snapshot <see cref="GraphPipelineOptions.OnProgress"/> received, so its <see cref="PipelineStatistics.Elapsed"/> is the time a progress display ended on.</param>
/// <param name="ComponentTime">Time spent finding the largest component, after the pipeline.</param>
/// <param name="WriteTime">Time spent writing the graph file (zero when nothing was written).</param>
public sealed record GraphSummary(
    long Synsets,
    long Groups,
    int Nodes,
    int Edges,
    int LargestComponent,
    PipelineStatistics Statistics,
    TimeSpan ComponentTime,
    TimeSpan WriteTime)
{
    /// <summary>The whole run: the pipeline, then the component, then the file.</summary>
    public TimeSpan Elapsed => Statistics.Elapsed + ComponentTime + WriteTime;
}
