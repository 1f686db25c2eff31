using System.Xml.Linq;
using Braid.Lab.Graphs;

namespace Braid.Lab.Tests.Graphs;

/// <summary>
/// The written graph is a function of the data alone: neither the order in which group graphs are merged
/// nor the number of workers changes a byte. A word spelled two ways (WordNet's "hegira" and "Hegira")
/// takes its label from the synset with the lowest id; it used to keep whichever label merged first.
/// </summary>
public sealed class GraphDeterminismTests
{
    [Fact]
    public async Task A_word_spelled_two_ways_takes_its_label_from_the_lowest_synset_whatever_the_merge_order()
    {
        var exodus = new Synset("n00061234", 4, ["exodus", "hegira"], ["n00059563"], "");
        var flight = new Synset("n00061368", 4, ["Hegira", "Hejira"], ["n00059563"], "");
        var journey = new Synset("n00059563", 4, ["journey"], [], "");

        var forward = new LexicalGraph();
        var backward = new LexicalGraph();
        foreach (var synset in new[] { exodus, flight, journey })
        {
            forward.Merge(LexicalGraph.Build([synset]));
        }

        foreach (var synset in new[] { journey, flight, exodus })
        {
            backward.Merge(LexicalGraph.Build([synset]));
        }

        var built = LexicalGraph.Build([flight, exodus, journey]);

        var expected = await GexfAsync(forward);
        Assert.Equal(expected, await GexfAsync(backward));
        Assert.Equal(expected, await GexfAsync(built));
        Assert.Equal(await GraphMLAsync(forward), await GraphMLAsync(backward));
        Assert.Equal("hegira", Label(expected, "w:hegira"));
        Assert.Equal("Hejira", Label(expected, "w:hejira")); // one spelling only: kept as written
        Assert.Equal("journey", Label(expected, "n00059563")); // a known synset wins over the placeholder
    }

    [Theory]
    [InlineData(GraphFormat.Gexf)]
    [InlineData(GraphFormat.GraphML)]
    public async Task The_fixture_graph_is_the_same_file_for_any_number_of_workers(GraphFormat format)
    {
        // Grouping by first letter in small groups puts "hegira" and "Hegira" in different groups, so
        // their graphs meet only in the merge, in an order that depends on the workers' timing.
        var reference = await WriteAsync(workers: 1, format);
        foreach (var workers in new[] { 7, 7, 7, 2 })
        {
            Assert.Equal(reference, await WriteAsync(workers, format));
        }

        if (format == GraphFormat.Gexf)
        {
            Assert.Equal("hegira", Label(reference, "w:hegira"));
        }
    }

    private static async Task<string> WriteAsync(int workers, GraphFormat format)
    {
        var options = new GraphPipelineOptions
        {
            DataFiles = [Path.Combine(Fixture, "data.noun"), Path.Combine(Fixture, "data.verb")],
            GroupByLexFile = false,
            MaxGroupSize = 8,
            Workers = workers,
        };
        var (graph, _) = await GraphPipeline.BuildAsync(options);
        return format == GraphFormat.GraphML ? await GraphMLAsync(graph) : await GexfAsync(graph);
    }

    private static async Task<string> GexfAsync(LexicalGraph graph)
    {
        var writer = new StringWriter();
        await graph.WriteGexfAsync(writer);
        return writer.ToString();
    }

    private static async Task<string> GraphMLAsync(LexicalGraph graph)
    {
        var writer = new StringWriter();
        await graph.WriteGraphMLAsync(writer);
        return writer.ToString();
    }

    private static string Label(string gexf, string id)
    {
        var xml = XDocument.Parse(gexf);
        var ns = xml.Root!.Name.Namespace;
        return xml.Descendants(ns + "node").Single(n => (string)n.Attribute("id")! == id).Attribute("label")!.Value;
    }

    internal static string Fixture
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var fixture = Path.Combine(dir.FullName, "data", "wordnet", "fixture");
                if (Directory.Exists(fixture))
                {
                    return fixture;
                }
            }

            throw new InvalidOperationException("data/wordnet/fixture not found above the test's folder");
        }
    }
}
