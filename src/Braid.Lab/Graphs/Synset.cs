namespace Braid.Lab.Graphs;

/// <summary>One WordNet synset (a set of synonyms) as read from a <c>data.*</c> file.</summary>
/// <param name="Id">The part of speech and the byte offset, e.g. <c>n00001740</c>; unique across the files.</param>
/// <param name="LexFile">The lexicographer file number (0-44), e.g. 5 for <c>noun.animal</c>.</param>
/// <param name="Words">The synonyms, in WordNet's order, with underscores for spaces.</param>
/// <param name="Hypernyms">The ids of the synset's hypernyms (<c>@</c>) and instance hypernyms (<c>@i</c>).</param>
/// <param name="Gloss">The definition and examples.</param>
public sealed record Synset(string Id, int LexFile, IReadOnlyList<string> Words, IReadOnlyList<string> Hypernyms, string Gloss)
{
    private static readonly string[] LexFileNames =
    [
        "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
        "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
        "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
        "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
        "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
        "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
        "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
        "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather", "adj.ppl",
    ];

    /// <summary>The lexicographer file's name, e.g. <c>noun.animal</c>.</summary>
    public string LexFileName => LexFile >= 0 && LexFile < LexFileNames.Length ? LexFileNames[LexFile] : $"lexfile.{LexFile}";
}
