namespace Braid.Pipelines.Tests;

/// <summary>
/// The library's public surface is the pipeline API alone: the WordNet demo (reader, lexical graph,
/// graph pipeline) lives with the lab, in <c>Braid.Lab.Graphs</c>, on QuikGraph.
/// </summary>
public sealed class PublicSurfaceTests
{
    [Fact]
    public void Every_public_type_is_in_the_Braid_Pipelines_namespace()
    {
        var exported = typeof(Pipeline).Assembly.GetExportedTypes();
        Assert.Contains(typeof(PipelineBuilder<>), exported);
        Assert.All(exported, type => Assert.Equal("Braid.Pipelines", type.Namespace));
        Assert.DoesNotContain(exported, type => type.Name is "LexicalGraph" or "GraphPipeline" or "WordNetReader" or "Synset");
    }
}
