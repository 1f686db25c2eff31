namespace Braid.Lab.Graphs;

/// <summary>The file format of a written graph.</summary>
public enum GraphFormat
{
    /// <summary>GEXF 1.3, Gephi's format.</summary>
    Gexf,

    /// <summary>GraphML.</summary>
    GraphML,
}
