using System.Globalization;
using System.Runtime.CompilerServices;

namespace Braid.Lab.Graphs;

/// <summary>
/// Streams synsets from WordNet's <c>data.noun</c>, <c>data.verb</c>, <c>data.adj</c> and <c>data.adv</c>
/// files (the format of <c>wndb(5WN)</c>), one line at a time: memory does not grow with the file.
/// </summary>
public static class WordNetReader
{
    /// <summary>Reads the synsets of one data file, in file order. The licence header (lines starting with two spaces) is skipped.</summary>
    /// <param name="path">A WordNet data file.</param>
    /// <param name="cancellationToken">Stops the reading between lines.</param>
    /// <exception cref="FormatException">A line is not a synset record; the message names the file and line.</exception>
    public static async IAsyncEnumerable<Synset> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(path);
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.Length == 0 || line.StartsWith("  ", StringComparison.Ordinal))
            {
                continue;
            }

            yield return Parse(line) ?? throw new FormatException($"{path}:{number}: not a WordNet synset record");
        }
    }

    /// <summary>Parses one synset record, or returns <see langword="null"/> when the line is not one.</summary>
    /// <param name="line">A line of a data file.</param>
    public static Synset? Parse(string line)
    {
        var bar = line.IndexOf(" | ", StringComparison.Ordinal);
        var fields = (bar >= 0 ? line[..bar] : line).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4 || fields[0].Length != 8
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var lexFile)
            || !int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var wordCount))
        {
            return null;
        }

        var pos = fields[2] == "s" ? 'a' : fields[2][0];
        var at = 4;
        if (fields.Length < at + (2 * wordCount) + 1)
        {
            return null;
        }

        var words = new string[wordCount];
        for (var i = 0; i < wordCount; i++)
        {
            words[i] = StripMarker(fields[at + (2 * i)]);
        }

        at += 2 * wordCount;
        if (!int.TryParse(fields[at], NumberStyles.None, CultureInfo.InvariantCulture, out var pointerCount) || fields.Length < at + 1 + (4 * pointerCount))
        {
            return null;
        }

        at++;
        var hypernyms = new List<string>();
        for (var i = 0; i < pointerCount; i++, at += 4)
        {
            if (fields[at] is "@" or "@i")
            {
                var targetPos = fields[at + 2] == "s" ? 'a' : fields[at + 2][0];
                hypernyms.Add(targetPos + fields[at + 1]);
            }
        }

        return new Synset(pos + fields[0], lexFile, words, hypernyms, bar >= 0 ? line[(bar + 3)..].TrimEnd() : string.Empty);
    }

    // Adjectives may carry a syntactic marker: "galore(ip)".
    private static string StripMarker(string word)
    {
        var paren = word.IndexOf('(', StringComparison.Ordinal);
        return paren > 0 ? word[..paren] : word;
    }
}
