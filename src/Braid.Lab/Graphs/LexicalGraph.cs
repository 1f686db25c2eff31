using System.Globalization;
using System.Text;
using System.Xml;
using QuikGraph;
using QuikGraph.Algorithms.ConnectedComponents;

namespace Braid.Lab.Graphs;

/// <summary>
/// A directed graph of words and synsets: a word points to each synset it belongs to (synonymy), a
/// synset points to its hypernyms. Graphs built from separate groups of synsets merge into one. The
/// structure and its connected components are QuikGraph's, as the book's version builds on networkx;
/// this type adds WordNet's labels and the GEXF and GraphML writers.
/// </summary>
/// <remarks>
/// <para>Not thread-safe: build one per worker and merge them under a lock.</para>
/// <para>The graph does not depend on the order of building and merging: a word spelled differently in
/// several synsets (<c>Hegira</c>, <c>hegira</c>) is one node whose label is its spelling in the synset
/// with the lowest id (part of speech, then offset), so any number of workers writes the same file.</para>
/// </remarks>
public sealed class LexicalGraph
{
    // No parallel edges: a word listed twice in a synset, or a hypernym named twice, is one edge.
    private readonly AdjacencyGraph<string, TaggedEdge<string, string>> _graph = new(allowParallelEdges: false);
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);

    /// <summary>The number of nodes (words and synsets).</summary>
    public int NodeCount => _graph.VertexCount;

    /// <summary>The number of distinct edges.</summary>
    public int EdgeCount => _graph.EdgeCount;

    /// <summary>The graph itself, for QuikGraph's algorithms: vertices are node ids, an edge's tag is its kind.</summary>
    public IVertexAndEdgeListGraph<string, TaggedEdge<string, string>> Graph => _graph;

    /// <summary>Builds the graph of one group of synsets: their words, synonym edges and hypernym edges.</summary>
    /// <param name="synsets">The group.</param>
    public static LexicalGraph Build(IEnumerable<Synset> synsets)
    {
        ArgumentNullException.ThrowIfNull(synsets);
        var graph = new LexicalGraph();
        foreach (var synset in synsets)
        {
            var label = synset.Words.Count > 0 ? synset.Words[0].Replace('_', ' ') : synset.Id;
            graph.AddNode(synset.Id, new Node(label, "synset", Known: true, synset.Id, 0));
            for (var position = 0; position < synset.Words.Count; position++)
            {
                var word = synset.Words[position];
                var wordId = "w:" + word.ToLowerInvariant();
                graph.AddNode(wordId, new Node(word.Replace('_', ' '), "word", Known: true, synset.Id, position));
                graph.AddEdge(wordId, synset.Id, "synonym");
            }

            foreach (var hypernym in synset.Hypernyms)
            {
                // The hypernym may belong to another group: a placeholder node, named when merged.
                graph.AddNode(hypernym, new Node(hypernym, "synset", Known: false, hypernym, 0));
                graph.AddEdge(synset.Id, hypernym, "hypernym");
            }
        }

        return graph;
    }

    /// <summary>
    /// Adds every node and edge of <paramref name="other"/> to this graph; a known node's label wins over a
    /// placeholder's, and of two known labels the one from the lower synset id wins, whichever came first.
    /// </summary>
    /// <param name="other">The graph to merge in; not changed.</param>
    public void Merge(LexicalGraph other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (id, node) in other._nodes)
        {
            AddNode(id, node);
        }

        foreach (var edge in other._graph.Edges)
        {
            AddEdge(edge.Source, edge.Target, edge.Tag);
        }
    }

    /// <summary>The number of nodes in the largest weakly connected component (edges taken both ways).</summary>
    public int LargestComponentSize()
    {
        var components = new WeaklyConnectedComponentsAlgorithm<string, TaggedEdge<string, string>>(_graph);
        components.Compute();
        var sizes = new int[components.ComponentCount];
        foreach (var component in components.Components.Values)
        {
            sizes[component]++;
        }

        return sizes.Length == 0 ? 0 : sizes.Max();
    }

    /// <summary>Writes the graph as GEXF 1.3 (Gephi), nodes and edges sorted by id so equal graphs give equal files.</summary>
    /// <param name="output">Where to write; not closed.</param>
    /// <param name="cancellationToken">Stops the writing between elements.</param>
    public async Task WriteGexfAsync(TextWriter output, CancellationToken cancellationToken = default)
    {
        await using var xml = XmlWriter.Create(output, Settings());
        await xml.WriteStartDocumentAsync().ConfigureAwait(false);
        await xml.WriteStartElementAsync(null, "gexf", "http://gexf.net/1.3").ConfigureAwait(false);
        await xml.WriteAttributeStringAsync(null, "version", null, "1.3").ConfigureAwait(false);
        await xml.WriteStartElementAsync(null, "meta", null).ConfigureAwait(false);
        await xml.WriteElementStringAsync(null, "creator", null, "Braid.Pipelines").ConfigureAwait(false);
        await xml.WriteElementStringAsync(null, "description", null, "WordNet words, synsets, synonym and hypernym edges").ConfigureAwait(false);
        await xml.WriteEndElementAsync().ConfigureAwait(false);
        await xml.WriteStartElementAsync(null, "graph", null).ConfigureAwait(false);
        await xml.WriteAttributeStringAsync(null, "defaultedgetype", null, "directed").ConfigureAwait(false);
        await xml.WriteStartElementAsync(null, "attributes", null).ConfigureAwait(false);
        await xml.WriteAttributeStringAsync(null, "class", null, "node").ConfigureAwait(false);
        await xml.WriteStartElementAsync(null, "attribute", null).ConfigureAwait(false);
        await xml.WriteAttributeStringAsync(null, "id", null, "kind").ConfigureAwait(false);
        await xml.WriteAttributeStringAsync(null, "title", null, "kind").ConfigureAwait(false);
        await xml.WriteAttributeStringAsync(null, "type", null, "string").ConfigureAwait(false);
        await xml.WriteEndElementAsync().ConfigureAwait(false);
        await xml.WriteEndElementAsync().ConfigureAwait(false);

        await xml.WriteStartElementAsync(null, "nodes", null).ConfigureAwait(false);
        foreach (var (id, node) in _nodes.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await xml.WriteStartElementAsync(null, "node", null).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "id", null, id).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "label", null, node.Label).ConfigureAwait(false);
            await xml.WriteStartElementAsync(null, "attvalues", null).ConfigureAwait(false);
            await xml.WriteStartElementAsync(null, "attvalue", null).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "for", null, "kind").ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "value", null, node.Kind).ConfigureAwait(false);
            await xml.WriteEndElementAsync().ConfigureAwait(false);
            await xml.WriteEndElementAsync().ConfigureAwait(false);
            await xml.WriteEndElementAsync().ConfigureAwait(false);
        }

        await xml.WriteEndElementAsync().ConfigureAwait(false);
        await xml.WriteStartElementAsync(null, "edges", null).ConfigureAwait(false);
        var number = 0;
        foreach (var (from, to, kind) in SortedEdges())
        {
            cancellationToken.ThrowIfCancellationRequested();
            await xml.WriteStartElementAsync(null, "edge", null).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "id", null, (number++).ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "source", null, from).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "target", null, to).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "label", null, kind).ConfigureAwait(false);
            await xml.WriteEndElementAsync().ConfigureAwait(false);
        }

        await xml.WriteEndDocumentAsync().ConfigureAwait(false);
        await xml.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Writes the graph as GraphML, nodes and edges sorted by id.</summary>
    /// <param name="output">Where to write; not closed.</param>
    /// <param name="cancellationToken">Stops the writing between elements.</param>
    public async Task WriteGraphMLAsync(TextWriter output, CancellationToken cancellationToken = default)
    {
        await using var xml = XmlWriter.Create(output, Settings());
        const string ns = "http://graphml.graphdrawing.org/xmlns";
        await xml.WriteStartDocumentAsync().ConfigureAwait(false);
        await xml.WriteStartElementAsync(null, "graphml", ns).ConfigureAwait(false);
        foreach (var (id, target, name) in new[] { ("label", "node", "label"), ("kind", "node", "kind"), ("edgekind", "edge", "kind") })
        {
            await xml.WriteStartElementAsync(null, "key", ns).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "id", null, id).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "for", null, target).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "attr.name", null, name).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "attr.type", null, "string").ConfigureAwait(false);
            await xml.WriteEndElementAsync().ConfigureAwait(false);
        }

        await xml.WriteStartElementAsync(null, "graph", ns).ConfigureAwait(false);
        await xml.WriteAttributeStringAsync(null, "id", null, "wordnet").ConfigureAwait(false);
        await xml.WriteAttributeStringAsync(null, "edgedefault", null, "directed").ConfigureAwait(false);
        foreach (var (id, node) in _nodes.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await xml.WriteStartElementAsync(null, "node", ns).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "id", null, id).ConfigureAwait(false);
            await WriteDataAsync(xml, ns, "label", node.Label).ConfigureAwait(false);
            await WriteDataAsync(xml, ns, "kind", node.Kind).ConfigureAwait(false);
            await xml.WriteEndElementAsync().ConfigureAwait(false);
        }

        foreach (var (from, to, kind) in SortedEdges())
        {
            cancellationToken.ThrowIfCancellationRequested();
            await xml.WriteStartElementAsync(null, "edge", ns).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "source", null, from).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "target", null, to).ConfigureAwait(false);
            await WriteDataAsync(xml, ns, "edgekind", kind).ConfigureAwait(false);
            await xml.WriteEndElementAsync().ConfigureAwait(false);
        }

        await xml.WriteEndDocumentAsync().ConfigureAwait(false);
        await xml.FlushAsync().ConfigureAwait(false);

        static async Task WriteDataAsync(XmlWriter xml, string ns, string key, string value)
        {
            await xml.WriteStartElementAsync(null, "data", ns).ConfigureAwait(false);
            await xml.WriteAttributeStringAsync(null, "key", null, key).ConfigureAwait(false);
            await xml.WriteStringAsync(value).ConfigureAwait(false);
            await xml.WriteEndElementAsync().ConfigureAwait(false);
        }
    }

    private IEnumerable<(string From, string To, string Kind)> SortedEdges() =>
        _graph.Edges.Select(e => (e.Source, e.Target, e.Tag))
            .OrderBy(e => e.Source, StringComparer.Ordinal).ThenBy(e => e.Target, StringComparer.Ordinal);

    private static XmlWriterSettings Settings() => new() { Async = true, Indent = true, Encoding = new UTF8Encoding(false), CloseOutput = false };

    private void AddNode(string id, Node node)
    {
        if (!_nodes.TryGetValue(id, out var existing))
        {
            _nodes[id] = node;
            _graph.AddVertex(id);
        }
        else if (node.Precedes(existing))
        {
            _nodes[id] = node;
        }
    }

    // Both ends are nodes already: Build adds them first, and Merge adds every node before any edge.
    private void AddEdge(string from, string to, string kind) => _graph.AddEdge(new TaggedEdge<string, string>(from, to, kind));

    // Source and Position say where the label came from: the synset and the word's place in it. Keeping the
    // first label seen made the label of a word spelled two ways depend on which worker merged first.
    private readonly record struct Node(string Label, string Kind, bool Known, string Source, int Position)
    {
        public bool Precedes(Node other)
        {
            if (Known != other.Known)
            {
                return Known;
            }

            var bySource = string.CompareOrdinal(Source, other.Source);
            return bySource < 0 || (bySource == 0 && Position < other.Position);
        }
    }
}
