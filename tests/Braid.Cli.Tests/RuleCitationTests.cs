using System.Globalization;
using System.Text.RegularExpressions;

namespace Braid.Cli.Tests;

/// <summary>
/// Code and docs cite only what is in the repo: every "rule N" they cite is a numbered rule of
/// docs/design.md, and nothing points at a document outside the repo. Rule numbers are stable ids, so a
/// citation of a number that is not there is stale (it once said "design rule 5" where rule 101 was meant).
/// </summary>
public sealed partial class RuleCitationTests
{
    // The folders whose text can cite a rule; data/ holds third-party text (WordNet) and is left out.
    private static readonly string[] Folders = ["src", "tests", "bench", "samples", "docs", "scripts", ".ci"];

    private static readonly string[] RootFiles =
        ["README.md", "Directory.Build.props", "Directory.Packages.props", "BannedSymbols.txt", "Braid.slnx", "global.json"];

    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".cs", ".md", ".csproj", ".props", ".targets", ".txt", ".json", ".slnx", ".sh", ".py", ".js", ".yml", ".yaml", ".xml", "",
    };

    // Documents that were never in the repo. Built from parts so that this file does not cite them itself.
    private static readonly string[] Outside = ["ARCHITECTURE" + ".md", "ARCHITECTURE" + " rule", ".." + "/shared"];

    // "rule 36", "Rule 4:", "rules 40 and 44", "rules 1-13", "rules 1–19 and 110", "rules 36, 42".
    [GeneratedRegex(@"\b[Rr]ules?\s+(\d+(?:\s*(?:[-–,]|and|or)\s*\d+)*)")]
    private static partial Regex Citation();

    [GeneratedRegex(@"\d+(?:\s*[-–]\s*\d+)?")]
    private static partial Regex NumberOrRange();

    // A rule is a line of the Rules section that starts with its number and a bold statement.
    [GeneratedRegex(@"^\s{0,3}(\d+)\.\s+\*\*", RegexOptions.Multiline)]
    private static partial Regex RuleHeading();

    [Fact]
    public void Design_md_numbers_its_rules()
    {
        var rules = DesignRules();

        // A guard on the parser itself: known rules from every section are found, goals are not rules.
        Assert.Contains(1, rules);
        Assert.Contains(60, rules);
        Assert.Contains(91, rules);
        Assert.Contains(104, rules);
        Assert.Contains(110, rules);
        Assert.DoesNotContain(37, rules);
    }

    [Fact]
    public void Every_cited_rule_exists_in_design_md()
    {
        var rules = DesignRules();
        var stale = new List<string>();
        foreach (var (file, lineNumber, line) in TextLines())
        {
            if (IsDesignMd(file) && line.TrimStart().StartsWith("<!-- rules", StringComparison.Ordinal))
            {
                continue; // design.md's block markers reserve number ranges, they cite nothing
            }

            foreach (var number in CitedNumbers(line))
            {
                if (!rules.Contains(number))
                {
                    stale.Add($"{Relative(file)}:{lineNumber}: rule {number} is not in docs/design.md: {line.Trim()}");
                }
            }
        }

        Assert.True(stale.Count == 0, string.Join(Environment.NewLine, stale));
    }

    [Fact]
    public void Nothing_cites_a_document_outside_the_repo()
    {
        var outside = new List<string>();
        foreach (var (file, lineNumber, line) in TextLines())
        {
            foreach (var name in Outside)
            {
                if (line.Contains(name, StringComparison.Ordinal))
                {
                    outside.Add($"{Relative(file)}:{lineNumber}: cites {name}: {line.Trim()}");
                }
            }
        }

        Assert.True(outside.Count == 0, string.Join(Environment.NewLine, outside));
    }

    [Theory]
    [InlineData("(design rule 5).", new[] { 5 })]
    [InlineData("Rule 4: failures are kept", new[] { 4 })]
    [InlineData("rules 40 and 44", new[] { 40, 44 })]
    [InlineData("rules 1–19 and 110 of design.md", new[] { 1, 19, 110 })]
    [InlineData("(rules 1-13):", new[] { 1, 13 })]
    [InlineData("rule 36, rule 104", new[] { 36, 104 })]
    [InlineData("no rules here, 5 of them", new int[0])]
    public void Reads_the_citation_forms_in_use(string text, int[] expected)
    {
        Assert.Equal(expected, CitedNumbers(text));
    }

    private static List<int> CitedNumbers(string line)
    {
        var numbers = new List<int>();
        foreach (Match citation in Citation().Matches(line))
        {
            foreach (Match part in NumberOrRange().Matches(citation.Groups[1].Value))
            {
                // A range cites both of its ends; the rules between them are not checked one by one,
                // because a range may span a gap left by a retired or unused number.
                foreach (var end in part.Value.Split(['-', '–'], StringSplitOptions.TrimEntries))
                {
                    numbers.Add(int.Parse(end, CultureInfo.InvariantCulture));
                }
            }
        }

        return numbers;
    }

    private static HashSet<int> DesignRules()
    {
        var text = File.ReadAllText(Path.Combine(PipelineCommandTests.Root, "docs", "design.md"));
        var start = text.IndexOf("\n## Rules", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/design.md has no '## Rules' section");
        return RuleHeading().Matches(text[start..])
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToHashSet();
    }

    private static IEnumerable<(string File, int Line, string Text)> TextLines()
    {
        var root = PipelineCommandTests.Root;
        var files = RootFiles.Select(f => Path.Combine(root, f)).Where(File.Exists)
            .Concat(Folders.Select(f => Path.Combine(root, f)).Where(Directory.Exists).SelectMany(SourceFiles));
        foreach (var file in files)
        {
            var lineNumber = 0;
            foreach (var line in File.ReadLines(file))
            {
                lineNumber++;
                yield return (file, lineNumber, line);
            }
        }
    }

    private static IEnumerable<string> SourceFiles(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (TextExtensions.Contains(Path.GetExtension(file)))
            {
                yield return file;
            }
        }

        foreach (var sub in Directory.EnumerateDirectories(folder))
        {
            // Build output and tool state are not the repo's text.
            if (Path.GetFileName(sub) is "bin" or "obj" or "node_modules" or "BenchmarkDotNet.Artifacts" or "TestResults")
            {
                continue;
            }

            foreach (var file in SourceFiles(sub))
            {
                yield return file;
            }
        }
    }

    private static bool IsDesignMd(string file) =>
        Relative(file) == Path.Combine("docs", "design.md");

    private static string Relative(string file) => Path.GetRelativePath(PipelineCommandTests.Root, file);
}
