using System.Xml.Linq;
using Braid.Lab.Graphs;

namespace Braid.Lab.Tests.Graphs;

public sealed class LexicalGraphTests
{
    [Fact]
    public void A_synset_record_is_parsed_with_its_words_and_hypernyms()
    {
        var synset = WordNetReader.Parse("00002137 03 n 02 abstraction 0 abstract_entity 0 010 @ 00001740 n 0000 + 00694095 v 0101 ~ 00023280 n 0000 ~ 00024444 n 0000 ~ 00031563 n 0000 ~ 00032220 n 0000 ~ 00033319 n 0000 ~ 00033914 n 0000 ~ 05818169 n 0000 ~ 08016141 n 0000 | a general concept formed by extracting common features from specific examples  ");
        Assert.NotNull(synset);
        Assert.Equal("n00002137", synset.Id);
        Assert.Equal("noun.Tops", synset.LexFileName);
        Assert.Equal(["abstraction", "abstract_entity"], synset.Words);
        Assert.Equal(["n00001740"], synset.Hypernyms);
        Assert.StartsWith("a general concept", synset.Gloss, StringComparison.Ordinal);

        var satellite = WordNetReader.Parse("00003356 00 s 02 unborn(a) 0 unhatched 0 001 & 00003131 a 0000 | not yet born");
        Assert.Equal(("a00003356", "unborn"), (satellite!.Id, satellite.Words[0]));
        Assert.Null(WordNetReader.Parse("  1 This software and database is being provided"));
    }

    [Fact]
    public async Task Graphs_built_per_group_merge_into_the_graph_built_at_once()
    {
        Synset[] synsets =
        [
            new("n1", 3, ["entity"], [], ""),
            new("n2", 3, ["thing", "object"], ["n1"], ""),
            new("n3", 5, ["dog", "domestic_dog"], ["n4"], ""),
            new("n4", 5, ["canine"], [], ""),
            new("n5", 9, ["idea"], [], ""),
        ];

        var whole = LexicalGraph.Build(synsets);
        var merged = new LexicalGraph();
        foreach (var group in synsets.GroupBy(s => s.LexFile).Reverse())
        {
            merged.Merge(LexicalGraph.Build(group));
        }

        // Nodes: 5 synsets and 7 words; edges: 7 synonym and 2 hypernym edges.
        Assert.Equal((12, 9), (whole.NodeCount, whole.EdgeCount));
        Assert.Equal((whole.NodeCount, whole.EdgeCount), (merged.NodeCount, merged.EdgeCount));
        Assert.Equal(5, merged.LargestComponentSize()); // {entity, thing, object + 2 synsets}, {dog, domestic dog, canine + 2 synsets}, {idea + 1}

        var gexf = new StringWriter();
        await merged.WriteGexfAsync(gexf);
        var wholeGexf = new StringWriter();
        await whole.WriteGexfAsync(wholeGexf);
        Assert.Equal(wholeGexf.ToString(), gexf.ToString());
        var xml = XDocument.Parse(gexf.ToString());
        var ns = xml.Root!.Name.Namespace;
        Assert.Equal("canine", xml.Descendants(ns + "node").Single(n => (string)n.Attribute("id")! == "n4").Attribute("label")!.Value);

        var graphml = new StringWriter();
        await merged.WriteGraphMLAsync(graphml);
        var g = XDocument.Parse(graphml.ToString());
        Assert.Equal(12, g.Descendants(g.Root!.Name.Namespace + "node").Count());
        Assert.Equal(9, g.Descendants(g.Root.Name.Namespace + "edge").Count());
    }
}
