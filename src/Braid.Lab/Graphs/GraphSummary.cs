using Braid.Pipelines;

namespace Braid.Lab.Graphs;

/// <summary>What <see cref="GraphPipeline.RunAsync"/> built.</summary>
/// <param name="Synsets">Synsets streamed.</param>
/// <param name="Groups">Groups built (a key split by the size limit counts once per piece).</param>
/// <param name="Nodes">Nodes in the merged graph.</param>
/// <param name="Edges">Edges in the merged graph.</param>
/// <param name="LargestComponent">Nodes in its largest weakly connected component.</param>
/// <param name="Statistics">The pipeline's final statistics.</param>
public sealed record GraphSummary(long Synsets, long Groups, int Nodes, int Edges, int LargestComponent, PipelineStatistics Statistics);
