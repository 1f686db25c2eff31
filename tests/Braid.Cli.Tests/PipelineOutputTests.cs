using Braid.Cli.Commands;

namespace Braid.Cli.Tests;

/// <summary><c>braid pipeline</c>'s output file (issue 12): never a truncated or empty file over a good one.</summary>
public sealed class PipelineOutputTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("braid-pipeline-out-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task An_interrupted_run_leaves_no_new_file_and_keeps_the_previous_one()
    {
        var fresh = Path.Combine(_temp, "new.gexf");
        var previous = Path.Combine(_temp, "previous.gexf");
        await File.WriteAllTextAsync(previous, "the previous good graph");
        using var interrupt = new CancellationTokenSource();
        await interrupt.CancelAsync(); // Ctrl-C before the graph is written

        foreach (var output in new[] { fresh, previous })
        {
            using var stderr = new StringWriter();
            var exit = await PipelineCommand.RunAsync(new PipelineCommand.Arguments(PipelineCommandTests.Fixture, output, 2), TextWriter.Null, stderr, interrupt.Token);
            Assert.Equal(PipelineCommand.Cancelled, exit);
        }

        Assert.Equal("the previous good graph", await File.ReadAllTextAsync(previous));
        Assert.Equal(["previous.gexf"], Directory.GetFileSystemEntries(_temp).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_symlinked_output_stays_a_symlink_and_its_target_gets_the_graph()
    {
        var target = Path.Combine(_temp, "graph.graphml");
        var link = Path.Combine(_temp, "latest.graphml");
        File.CreateSymbolicLink(link, "graph.graphml");

        using var stderr = new StringWriter();
        var exit = await PipelineCommand.RunAsync(new PipelineCommand.Arguments(PipelineCommandTests.Fixture, link, 2), TextWriter.Null, stderr, CancellationToken.None);

        Assert.True(exit == 0, stderr.ToString());
        Assert.Equal("graph.graphml", new FileInfo(link).LinkTarget);
        Assert.Contains("<graphml", await File.ReadAllTextAsync(target), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_output_cannot_be_the_data_file()
    {
        var data = Path.Combine(_temp, "data.gexf");
        File.Copy(Path.Combine(PipelineCommandTests.Fixture, "data.noun"), data);
        using var stderr = new StringWriter();
        var exit = await PipelineCommand.RunAsync(new PipelineCommand.Arguments(data, data, 2), TextWriter.Null, stderr, CancellationToken.None);
        Assert.Equal(2, exit);
        Assert.Equal($"braid pipeline: --output {data} is a --data file; it would be overwritten\n", stderr.ToString().ReplaceLineEndings("\n"));
    }
}
