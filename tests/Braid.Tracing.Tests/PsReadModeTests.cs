using System.Diagnostics;
using System.Globalization;

namespace Braid.Tracing.Tests;

/// <summary>
/// The ways <c>braid ps</c> reads a process (docs/design.md rule 175): a copy taken while paused and read after
/// resuming, the heap read in place, and a dump through the diagnostic port when attaching is refused, which
/// is never left behind (issue 14).
/// </summary>
public sealed class PsReadModeTests
{
    [Theory]
    [InlineData(true, "copied ")]
    [InlineData(false, "read in place")]
    public async Task A_copy_and_an_in_place_read_give_the_same_tree(bool copy, string source)
    {
        using var target = await GrandchildTarget.StartAsync("chain");

        var snapshot = AsyncProcess.Capture(target.Id, copy ? ReadMode.Copy : ReadMode.InPlace);

        Assert.StartsWith(source, snapshot.Source, StringComparison.Ordinal);
        Assert.Equal(AsyncProcessTests.ChainTree.ReplaceLineEndings("\n"), snapshot.ToTree(coalesce: true));
        Assert.Contains(snapshot.Timings, t => t.Phase == "detach");
        Assert.True(await target.AnswersAsync());
        Assert.DoesNotContain('t', target.ThreadStates());
    }

    [Fact]
    public async Task A_copy_resumes_the_target_before_its_heap_is_read()
    {
        using var target = await GrandchildTarget.StartAsync("chain");

        var snapshot = AsyncProcess.Capture(target.Id, ReadMode.Copy);

        var phases = snapshot.Timings.Select(t => t.Phase).ToList();
        Assert.True(phases.IndexOf("detach") < phases.IndexOf("heap walk"), string.Join(", ", phases));
        Assert.True(snapshot.PauseTime < snapshot.TotalTime);
    }

    [Fact]
    public async Task A_refused_attach_reads_a_dump_says_so_and_leaves_no_file()
    {
        using var target = await GrandchildTarget.StartAsync("chain");
        var folder = Directory.CreateTempSubdirectory("braid-ps-dump-").FullName;
        try
        {
            var start = BraidProcess.StartInfo(null, "ps", Id(target.Id), "--tree", "--coalesce");
            start.Environment[AsyncProcess.RefuseAttachVariable] = "1";
            start.Environment[AsyncProcess.DumpFolderVariable] = folder;

            var (code, stdout, stderr) = await RunAsync(start);

            Assert.Equal(0, code);
            Assert.Equal(AsyncProcessTests.ChainTree.ReplaceLineEndings("\n"), stdout);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(
                $"braid ps: cannot attach to process {target.Id} (dotnet): permission denied (it belongs to another user, or ptrace is restricted); run braid as its user or as root; read a dump its runtime wrote through the diagnostic port instead (deleted)",
                lines[0]);
            Assert.StartsWith($"process {target.Id} (dotnet", lines[1], StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(folder));
            Assert.True(await target.AnswersAsync());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_dump_that_cannot_be_written_fails_in_one_line_and_leaves_no_file()
    {
        using var target = await GrandchildTarget.StartAsync("chain");
        var folder = Path.Combine(Path.GetTempPath(), "braid-ps-missing-" + Guid.NewGuid().ToString("N"));
        var start = BraidProcess.StartInfo(null, "ps", Id(target.Id));
        start.Environment[AsyncProcess.ReadModeVariable] = "dump";
        start.Environment[AsyncProcess.DumpFolderVariable] = folder; // does not exist: the runtime cannot write the dump there

        var (code, stdout, stderr) = await RunAsync(start);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.StartsWith($"braid ps: cannot read process {target.Id} (dotnet) through a dump: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.False(Directory.Exists(folder));
        Assert.True(await target.AnswersAsync());
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var stdout = process.StandardOutput.ReadToEndAsync(guard.Token);
        var stderr = process.StandardError.ReadToEndAsync(guard.Token);
        await process.WaitForExitAsync(guard.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string Id(int pid) => pid.ToString(CultureInfo.InvariantCulture);
}
