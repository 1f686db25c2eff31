using System.Globalization;
using System.Diagnostics;
using System.Xml.Linq;

namespace Braid.Cli.Tests;

/// <summary>
/// <c>braid pipeline</c> on the small WordNet cut shipped in data/wordnet/fixture, run as a process
/// from the CLI's own build output (<c>Braid.Cli.dll</c>, whose apphost is also copied to <c>braid</c>).
/// </summary>
public sealed class PipelineCommandTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("braid-pipeline-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    internal static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "data", "wordnet", "fixture")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("data/wordnet/fixture not found above the test's folder");
        }
    }

    internal static string Fixture => Path.Combine(Root, "data", "wordnet", "fixture");

    // The CLI's own output, same configuration as the tests (bin/<configuration>/<tfm>/).
    private static string BraidDll
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            return Path.Combine(Root, "src", "Braid.Cli", "bin", tfm.Parent!.Name, tfm.Name, "Braid.Cli.dll");
        }
    }

    [Theory]
    [InlineData("graph.gexf", "lexfile", 1)]
    [InlineData("graph.graphml", "letter", 8)]
    public async Task Builds_the_graph_writes_it_and_prints_a_summary(string file, string groupBy, int workers)
    {
        var output = Path.Combine(_temp, file);
        var (code, stdout, stderr) = await RunAsync(Args(Fixture, output, workers, "all", groupBy));

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, stderr);

        // An independent oracle: count what the fixture says the graph must hold.
        var (synsets, nodes, edges) = CountFixture();
        Assert.Contains($"{synsets:N0} synsets", stdout, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"graph: {nodes:N0} nodes, {edges:N0} edges"), stdout, StringComparison.Ordinal);
        Assert.Contains("largest connected component:", stdout, StringComparison.Ordinal);

        var xml = XDocument.Load(output);
        var ns = xml.Root!.Name.Namespace;
        Assert.Equal(nodes, xml.Descendants(ns + "node").Count());
        Assert.Equal(edges, xml.Descendants(ns + "edge").Count());
        Assert.Equal(file.EndsWith(".gexf", StringComparison.Ordinal) ? "gexf" : "graphml", xml.Root.Name.LocalName);
    }

    [Fact]
    public async Task Progress_on_a_redirected_stderr_is_plain_lines_ending_with_the_runs_totals()
    {
        var output = Path.Combine(_temp, "graph.gexf");
        var (code, stdout, stderr) = await RunAsync([.. Args(Fixture, output, 2, "all"), "--progress"]);

        Assert.Equal(0, code);
        Assert.DoesNotContain('\u001b', stderr);
        var lines = Lines(stderr);
        Assert.All(lines, l => Assert.StartsWith("braid pipeline: ", l, StringComparison.Ordinal));
        Assert.All(lines[..^1], l => Assert.StartsWith("braid pipeline: running ", l, StringComparison.Ordinal));
        var final = lines[^1];
        Assert.StartsWith("braid pipeline: done ", final, StringComparison.Ordinal);

        // The final line carries the run's real totals: the summary's stage table, stage by stage.
        var stages = SummaryStages(stdout);
        Assert.Equal(["source", "group-by#1", "build", "merge"], stages.Select(s => s.Name));
        foreach (var (name, itemsIn, itemsOut, failed) in stages)
        {
            Assert.Contains($"; {name} {itemsIn} in {itemsOut} out {failed} failed ", final, StringComparison.Ordinal);
        }

        // stdout is the summary alone, as without --progress.
        Assert.DoesNotContain("braid pipeline:", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', stdout);
    }

    /// <summary>The stage rows of the summary on stdout: name, items in, out and failed, as printed.</summary>
    internal static List<(string Name, string In, string Out, string Failed)> SummaryStages(string stdout) =>
        [.. Lines(stdout)
            .SkipWhile(l => !l.StartsWith("stage ", StringComparison.Ordinal))
            .Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => (f[0], f[2], f[3], f[4]))];

    [Fact]
    public async Task The_output_does_not_depend_on_the_number_of_workers()
    {
        var one = Path.Combine(_temp, "one.gexf");
        var many = Path.Combine(_temp, "many.gexf");
        Assert.Equal(0, (await RunAsync(Args(Fixture, one, 1, "all"))).Code);
        Assert.Equal(0, (await RunAsync(Args(Fixture, many, 6, "all"))).Code);
        Assert.Equal(await File.ReadAllTextAsync(one), await File.ReadAllTextAsync(many));
    }

    [Fact]
    public async Task A_missing_dataset_is_one_line_and_exit_2()
    {
        var (code, stdout, stderr) = await RunAsync(Args(Path.Combine(_temp, "nowhere"), Path.Combine(_temp, "g.gexf"), 2));
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith("braid pipeline: no WordNet data at", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unwritable_output_is_one_line_and_exit_2()
    {
        var (code, stdout, stderr) = await RunAsync(Args(Fixture, Path.Combine(_temp, "missing-dir", "g.gexf"), 2));
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith("braid pipeline: cannot write", Assert.Single(Lines(stderr)), StringComparison.Ordinal);

        var (dirCode, _, dirError) = await RunAsync([.. Args(Fixture, _temp, 2), "--format", "gexf"]);
        Assert.Equal(2, dirCode);
        Assert.Contains("is a directory", Assert.Single(Lines(dirError)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_data_and_bad_workers_are_one_line_and_exit_2()
    {
        var bad = Path.Combine(_temp, "data.noun");
        await File.WriteAllTextAsync(bad, "this is not wordnet\n");
        var (code, _, stderr) = await RunAsync(Args(bad, Path.Combine(_temp, "g.gexf"), 2));
        Assert.Equal(2, code);
        Assert.Contains("not a WordNet synset record", Assert.Single(Lines(stderr)), StringComparison.Ordinal);

        var (workersCode, _, workersError) = await RunAsync(Args(Fixture, Path.Combine(_temp, "g.gexf"), 0));
        Assert.Equal(2, workersCode);
        Assert.Single(Lines(workersError));
    }

    [Fact]
    public async Task Unknown_choices_are_parse_errors_with_exit_2()
    {
        var (code, stdout, stderr) = await RunAsync(["pipeline", "--pos", "adverbial", "--data", Fixture]);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal("braid pipeline: --pos: 'adverbial' is not one of noun, verb, all", Assert.Single(Lines(stderr)));
    }

    [Theory]
    [InlineData("--workers", "x", "braid pipeline: --workers: 'x' is not a whole number")]
    [InlineData("--format", "svg", "braid pipeline: --format: 'svg' is not one of gexf, graphml")]
    [InlineData("--progress=2", null, "braid pipeline: --progress: '2' is not true or false")]
    public async Task A_bad_value_is_one_line_naming_the_option_and_what_it_expects(string option, string? value, string expected)
    {
        var (code, stdout, stderr) = await RunAsync(value is null ? ["pipeline", option] : ["pipeline", option, value]);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal(expected, Assert.Single(Lines(stderr)));
    }

    private static string[] Args(string data, string output, int workers, string pos = "noun", string groupBy = "lexfile") =>
        ["pipeline", "--data", data, "--output", output, "--workers", workers.ToString(CultureInfo.InvariantCulture), "--pos", pos, "--group-by", groupBy];

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(BraidDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    internal static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static (int Synsets, int Nodes, int Edges) CountFixture()
    {
        var nodes = new HashSet<string>(StringComparer.Ordinal);
        var edges = new HashSet<(string, string)>();
        var synsets = 0;
        foreach (var file in new[] { "data.noun", "data.verb" })
        {
            foreach (var line in File.ReadLines(Path.Combine(Fixture, file)).Where(l => !l.StartsWith("  ", StringComparison.Ordinal)))
            {
                synsets++;
                var f = line.Split(" | ")[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var id = f[2][0] + f[0];
                nodes.Add(id);
                var words = int.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                for (var i = 0; i < words; i++)
                {
                    var word = "w:" + f[4 + (2 * i)].ToLowerInvariant();
                    nodes.Add(word);
                    edges.Add((word, id));
                }

                var at = 4 + (2 * words);
                var pointers = int.Parse(f[at], CultureInfo.InvariantCulture);
                for (var p = 0; p < pointers; p++)
                {
                    var symbol = f[at + 1 + (4 * p)];
                    if (symbol is "@" or "@i")
                    {
                        var target = f[at + 3 + (4 * p)][0] + f[at + 2 + (4 * p)];
                        nodes.Add(target);
                        edges.Add((id, target));
                    }
                }
            }
        }

        return (synsets, nodes.Count, edges.Count);
    }
}
