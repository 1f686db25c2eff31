using System.Diagnostics;
using Braid.Lab.Output;

namespace Braid.Cli.Tests.Output;

/// <summary>How every braid output is written (issue 12, docs/design.md rule 97). Unix file modes, owners and FIFOs: Linux only.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OutputFileTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("braid-output-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task A_symlink_is_followed_and_stays_a_symlink()
    {
        var target = Path.Combine(_temp, "target.json");
        var link = Path.Combine(_temp, "link.json");
        await File.WriteAllTextAsync(target, "old");
        File.CreateSymbolicLink(link, "target.json");

        await OutputFile.WriteAsync(link, "new");

        Assert.Equal("target.json", new FileInfo(link).LinkTarget);
        Assert.Equal("new", await File.ReadAllTextAsync(target));
        Assert.Equal(["link.json", "target.json"], Entries());
    }

    [Fact]
    public async Task A_dangling_symlink_creates_its_target()
    {
        var link = Path.Combine(_temp, "link.json");
        File.CreateSymbolicLink(link, Path.Combine(_temp, "made.json"));
        await OutputFile.WriteAsync(link, "new");
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal("new", await File.ReadAllTextAsync(Path.Combine(_temp, "made.json")));
    }

    [Fact]
    public async Task A_fifo_is_written_in_place()
    {
        var fifo = Path.Combine(_temp, "pipe");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // The reader opens the FIFO; the write blocks until it does, so neither waits on time.
        var read = Task.Run(() => File.ReadAllTextAsync(fifo));
        await OutputFile.WriteAsync(fifo, "through the pipe");

        // Replaced by a regular file, the FIFO would leave its reader waiting forever: check that first.
        Assert.False(FileNode.Stat(fifo)!.Value.IsRegular);
        Assert.Equal("through the pipe", await read.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(["pipe"], Entries());
    }

    [Fact]
    public async Task A_regular_file_keeps_its_mode()
    {
        var path = Path.Combine(_temp, "r.json");
        await File.WriteAllTextAsync(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        await OutputFile.WriteAsync(path, "new");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal("new", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task A_new_file_gets_the_mode_a_new_file_gets()
    {
        var reference = Path.Combine(_temp, "reference");
        await File.WriteAllTextAsync(reference, ""); // 0666 less the umask
        var path = Path.Combine(_temp, "r.json");

        await OutputFile.WriteAsync(path, "new");

        Assert.Equal(File.GetUnixFileMode(reference), File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task A_regular_file_keeps_its_owner_when_root_writes_it()
    {
        if (FileNode.EffectiveUser != 0)
        {
            return; // only root can give a file away; others keep their own files, as an editor does
        }

        var path = Path.Combine(_temp, "r.json");
        await File.WriteAllTextAsync(path, "old");
        Assert.True(FileNode.SetOwner(path, 4321, 4321));

        await OutputFile.WriteAsync(path, "new");

        var node = FileNode.Stat(path)!.Value;
        Assert.Equal((4321u, 4321u), (node.Owner, node.Group));
    }

    [Fact]
    public async Task An_interrupted_write_leaves_the_previous_file_and_no_temporary_one()
    {
        var path = Path.Combine(_temp, "r.json");
        await File.WriteAllTextAsync(path, "previous");
        using var interrupt = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => OutputFile.WriteAsync(
            path,
            async (stream, ct) =>
            {
                await stream.WriteAsync("partial"u8.ToArray(), ct);
                await interrupt.CancelAsync(); // Ctrl-C, half-way through
                ct.ThrowIfCancellationRequested();
            },
            interrupt.Token));

        Assert.Equal("previous", await File.ReadAllTextAsync(path));
        Assert.Equal(["r.json"], Entries());
    }

    [Fact]
    public async Task A_failed_write_leaves_the_previous_file_and_no_temporary_one()
    {
        var path = Path.Combine(_temp, "r.json");
        await File.WriteAllTextAsync(path, "previous");

        await Assert.ThrowsAsync<IOException>(() => OutputFile.WriteAsync(path, (_, _) => throw new IOException("disk full")));

        Assert.Equal("previous", await File.ReadAllTextAsync(path));
        Assert.Equal(["r.json"], Entries());
    }

    [Fact]
    public void The_check_leaves_nothing_and_names_no_internal_file()
    {
        Assert.Null(OutputFile.Check(Path.Combine(_temp, "r.json")));
        Assert.Empty(Entries());
        Assert.Equal($"{_temp} is a directory", OutputFile.Check(_temp));
        Assert.Equal("an output path is empty", OutputFile.Check(""));
    }

    [Fact]
    public void The_real_path_resolves_symlinks_in_folders_too()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_temp, "real")).FullName;
        var linkedFolder = Path.Combine(_temp, "linked");
        Directory.CreateSymbolicLink(linkedFolder, folder);
        Assert.Equal(Path.Combine(folder, "r.json"), OutputFile.RealPath(Path.Combine(linkedFolder, "r.json")));
        Assert.Equal("-", OutputFile.RealPath("-"));
    }

    private string[] Entries() => [.. Directory.GetFileSystemEntries(_temp).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}
