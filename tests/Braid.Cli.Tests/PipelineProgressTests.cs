using System.Globalization;
using System.Text.RegularExpressions;
using Braid.Cli.Commands;
using Braid.Lab.Reports;
using Braid.Pipelines;
using Spectre.Console;
using Spectre.Console.Testing;

namespace Braid.Cli.Tests;

/// <summary>
/// <c>braid pipeline --progress</c> in process, on Spectre's test console: the choice between the live
/// panel and plain lines, the panel's rows, and the final totals of a real run on the WordNet fixture.
/// </summary>
public sealed class PipelineProgressTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("braid-progress-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static TestConsole Terminal() => new TestConsole().Interactive().SupportsAnsi(true).Width(120);

    [Fact]
    public void Only_an_interactive_console_with_ansi_sequences_is_animated()
    {
        Assert.True(PipelineProgress.CanAnimate(Terminal()));
        Assert.False(PipelineProgress.CanAnimate(new TestConsole()));
        Assert.False(PipelineProgress.CanAnimate(new TestConsole().Interactive().SupportsAnsi(false)));
        Assert.False(PipelineProgress.CanAnimate(new TestConsole().SupportsAnsi(true)));
    }

    [Fact]
    public void A_live_frame_shows_every_stage_with_its_counters_rate_and_buffer()
    {
        var elapsed = TimeSpan.FromSeconds(2);
        var statistics = new PipelineStatistics(
            [
                new StageStatistics("source", 1, 1, 5000, 5000, 0, 0, 0, TimeSpan.Zero, elapsed),
                new StageStatistics("group-by#1", 1, 1, 4000, 20, 0, 0, 512, TimeSpan.Zero, elapsed),
                new StageStatistics("build", 4, 3, 20, 18, 1, 0, 1024, TimeSpan.FromSeconds(1), elapsed),
                new StageStatistics("merge", 4, 4, 17, 16, 0, 0, 0, TimeSpan.FromSeconds(1), elapsed),
            ],
            DeadLetters: 0,
            Failures: 0,
            elapsed,
            Completed: false);
        var console = Terminal();

        console.Write(PipelineProgress.Panel("running", statistics, final: false));

        Assert.Contains("braid pipeline: running 2.0 s", console.Output, StringComparison.Ordinal);
        Assert.Equal(["1/1", "5,000", "5,000", "0", "2,500"], Cells(console.Output, "source"));
        Assert.Equal(["1/1", "4,000", "20", "0", "10", "████░░░░", "50%"], Cells(console.Output, "group-by#1"));
        Assert.Equal(["3/4", "20", "18", "1", "9", "████████", "100%"], Cells(console.Output, "build"));
        Assert.Equal(["4/4", "17", "16", "0", "8", "░░░░░░░░", "0%"], Cells(console.Output, "merge"));
    }

    [Fact]
    public void A_live_frame_fits_an_80_column_terminal()
    {
        var elapsed = TimeSpan.FromSeconds(1234);
        var stage = new StageStatistics("group-by#1", 16, 16, 123_456_789, 123_456_789, 12_345, 0, 1000, TimeSpan.Zero, elapsed);
        var console = new TestConsole().Interactive().SupportsAnsi(true).Width(80);

        console.Write(PipelineProgress.Panel("running", new PipelineStatistics([stage], 0, 0, elapsed, false), final: false));

        Assert.Equal(["16/16", "123,456,789", "123,456,789", "12,345", "100,046", "████████", "98%"], Cells(console.Output, "group-by#1"));
    }

    [Fact]
    public void The_progress_asks_the_pipeline_for_snapshots_as_often_as_it_draws()
    {
        // Issue 12: the panel used to read a process-wide meter between the pipeline's fixed one-second
        // snapshots; now it asks for the interval it needs and renders what it gets.
        Assert.Equal(PipelineProgress.RefreshInterval, PipelineProgress.Start(Terminal(), TextWriter.Null).Interval);
        Assert.Equal(TimeSpan.FromSeconds(1), PipelineProgress.Start(new TestConsole(), TextWriter.Null).Interval);
    }

    [Fact]
    public void A_live_frame_shows_the_snapshots_own_elapsed_time_and_counts()
    {
        var elapsed = TimeSpan.FromMilliseconds(2750);
        var stage = new StageStatistics("build", 4, 4, 20, 11, 0, 0, 9, TimeSpan.Zero, elapsed);
        var running = new TestConsole().Width(120);
        var finished = new TestConsole().Width(120);

        running.Write(PipelineProgress.LiveFrame(new PipelineStatistics([stage], 0, 0, elapsed, Completed: false)));
        finished.Write(PipelineProgress.LiveFrame(new PipelineStatistics([stage with { ActiveWorkers = 0 }], 0, 0, elapsed, Completed: true)));

        Assert.Contains("braid pipeline: running 2.8 s", running.Output, StringComparison.Ordinal);
        Assert.Equal(["4/4", "20", "11", "0", "4"], Cells(running.Output, "build")[..5]);
        Assert.Contains("braid pipeline: done 2.8 s", finished.Output, StringComparison.Ordinal);
        Assert.Contains("writing the output", finished.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_final_panel_and_the_summary_show_the_same_pipeline_time(bool live)
    {
        // Issue 12: the panel ended on "done 3.8 s" (the pipeline) while the summary said "in 8.24 s"
        // (a stopwatch that also timed the largest component and the file).
        var console = live ? Terminal() : new TestConsole();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await PipelineCommand.RunAsync(
            new PipelineCommand.Arguments(PipelineCommandTests.Fixture, Path.Combine(_temp, "g.gexf"), 2, "all", Progress: true),
            stdout,
            stderr,
            CancellationToken.None,
            console);

        Assert.Equal(0, code);
        var shown = Regex.Replace(live ? console.Output : stderr.ToString(), @"\x1b\[[0-9;?]*[A-Za-z]", "");
        var done = Regex.Matches(shown, @"braid pipeline: done (\d+\.\d) s");
        Assert.NotEmpty(done);
        var panelTime = done[^1].Groups[1].Value;
        var wrote = Regex.Match(stdout.ToString(), @"^wrote .* in (\d+\.\d) s: pipeline (\d+\.\d) s, largest component (\d+\.\d) s, writing (\d+\.\d) s$", RegexOptions.Multiline);
        Assert.True(wrote.Success, stdout.ToString());
        Assert.Equal(panelTime, wrote.Groups[2].Value);
        var parts = decimal.Parse(wrote.Groups[2].Value, CultureInfo.InvariantCulture) + decimal.Parse(wrote.Groups[3].Value, CultureInfo.InvariantCulture) + decimal.Parse(wrote.Groups[4].Value, CultureInfo.InvariantCulture);
        Assert.Equal(decimal.Parse(wrote.Groups[1].Value, CultureInfo.InvariantCulture), parts);
    }

    [Fact]
    public async Task Every_count_in_the_summary_has_its_singular()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, await PipelineCommand.RunAsync(new PipelineCommand.Arguments(PipelineCommandTests.Fixture, Path.Combine(_temp, "g.gexf"), 1), stdout, TextWriter.Null, CancellationToken.None));
        Assert.Contains(", 1 worker per stage", stdout.ToString(), StringComparison.Ordinal);

        Assert.Equal("1 group", Plural.Count(1, "group"));
        Assert.Equal("1 worker", Plural.Count(1, "worker"));
        Assert.Equal("0 groups", Plural.Count(0, "group"));
        Assert.Equal("1,024 synsets", Plural.Count(1024, "synset"));
    }

    [Fact]
    public async Task The_live_panel_runs_during_a_real_run_and_ends_with_its_final_totals()
    {
        var console = Terminal();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await PipelineCommand.RunAsync(
            new PipelineCommand.Arguments(PipelineCommandTests.Fixture, Path.Combine(_temp, "g.gexf"), 2, "all", Progress: true),
            stdout,
            stderr,
            CancellationToken.None,
            console);

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, stderr.ToString());
        var output = console.Output;
        Assert.Contains("braid pipeline: running", output, StringComparison.Ordinal);
        var final = output[output.LastIndexOf("braid pipeline: done", StringComparison.Ordinal)..];
        var stages = PipelineCommandTests.SummaryStages(stdout.ToString());
        Assert.Equal(["source", "group-by#1", "build", "merge"], stages.Select(s => s.Name));
        foreach (var (name, itemsIn, itemsOut, failed) in stages)
        {
            Assert.Equal([itemsIn, itemsOut, failed], Cells(final, name)[1..4]);
        }
    }

    [Fact]
    public async Task Without_a_terminal_the_run_prints_plain_lines_and_draws_nothing()
    {
        var console = new TestConsole();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await PipelineCommand.RunAsync(
            new PipelineCommand.Arguments(PipelineCommandTests.Fixture, Path.Combine(_temp, "g.gexf"), 2, "noun", Progress: true),
            stdout,
            stderr,
            CancellationToken.None,
            console);

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, console.Output);
        var final = PipelineCommandTests.Lines(stderr.ToString())[^1];
        Assert.StartsWith("braid pipeline: done ", final, StringComparison.Ordinal);
        foreach (var (name, itemsIn, itemsOut, failed) in PipelineCommandTests.SummaryStages(stdout.ToString()))
        {
            Assert.Contains($"; {name} {itemsIn} in {itemsOut} out {failed} failed ", final, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_failed_run_prints_its_final_counters_then_the_one_error_line()
    {
        var bad = Path.Combine(_temp, "data.noun");
        await File.WriteAllTextAsync(bad, "this is not wordnet\n");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await PipelineCommand.RunAsync(
            new PipelineCommand.Arguments(bad, Path.Combine(_temp, "g.gexf"), 2, Progress: true),
            stdout,
            stderr,
            CancellationToken.None,
            new TestConsole());

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout.ToString());
        var lines = PipelineCommandTests.Lines(stderr.ToString());
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("braid pipeline: failed ", lines[0], StringComparison.Ordinal);
        Assert.Contains("; source 0 in 0 out 0 failed ", lines[0], StringComparison.Ordinal);
        Assert.Contains("not a WordNet synset record", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_run_still_renders_its_final_counters_and_exits_130()
    {
        var console = Terminal();
        var stderr = new StringWriter();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var code = await PipelineCommand.RunAsync(
            new PipelineCommand.Arguments(PipelineCommandTests.Fixture, Path.Combine(_temp, "g.gexf"), 2, "all", Progress: true),
            new StringWriter(),
            stderr,
            cancelled.Token,
            console);

        Assert.Equal(PipelineCommand.Cancelled, code);
        Assert.Equal("braid pipeline: cancelled", stderr.ToString().Trim());

        var output = console.Output;
        var final = output[output.LastIndexOf("braid pipeline: cancelled", StringComparison.Ordinal)..];
        Assert.Equal(["0/1", "0", "0", "0"], Cells(final, "source")[..4]);
    }

    // The cells of the row that starts with the stage's name, the name first; borders and padding dropped.
    private static string[] Cells(string output, string stage)
    {
        var row = PipelineCommandTests.Lines(output).First(l => l.TrimStart('│', ' ').StartsWith(stage + " ", StringComparison.Ordinal));
        var cells = row.Split(['│', ' '], StringSplitOptions.RemoveEmptyEntries);
        return cells[0] == stage ? cells[1..] : cells;
    }
}
