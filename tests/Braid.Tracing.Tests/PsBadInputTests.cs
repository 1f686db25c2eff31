using System.Diagnostics;

namespace Braid.Tracing.Tests;

/// <summary>
/// <c>braid ps</c> on bad input, as a real process: one line on stderr, exit code 2, nothing on stdout,
/// no output file; and the target is never left paused, even when braid is killed mid-read (issue 14).
/// </summary>
public sealed class PsBadInputTests
{
    [Fact]
    public async Task An_exited_process_is_one_line_and_exit_code_2()
    {
        int pid;
        using (var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            await exited.WaitForExitAsync();
            pid = exited.Id;
        }

        var (code, stdout, stderr) = await BraidProcess.RunAsync(null, "ps", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal($"braid ps: no process with id {pid} (it does not exist or has exited)\n", stderr);
    }

    [Fact]
    public async Task A_process_that_is_not_dotnet_is_one_line_and_exit_code_2()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            var (code, stdout, stderr) = await BraidProcess.RunAsync(null, "ps", Id(sleeper.Id));

            Assert.Equal(2, code);
            Assert.Empty(stdout);
            Assert.Equal($"braid ps: process {sleeper.Id} (sleep) is not a .NET process: no .NET runtime is loaded in it\n", stderr);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public async Task An_unwritable_output_is_one_line_and_no_file()
    {
        using var target = await TargetProcess.StartAsync("chain");
        var folder = Path.Combine(Path.GetTempPath(), "braid-ps-" + Guid.NewGuid().ToString("N"), "missing");

        var (code, stdout, stderr) = await BraidProcess.RunAsync(null, "ps", Id(target.Id), "-o", Path.Combine(folder, "tree.txt"));

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.StartsWith("braid ps: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.False(Directory.Exists(folder));
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task Another_users_process_is_refused_in_one_line()
    {
        Assert.True(Environment.UserName == "root", "this test runs braid as nobody against a root-owned target: run the tests as root");
        using var target = await TargetProcess.StartAsync("chain");

        var (code, stdout, stderr) = await BraidProcess.RunAsync("nobody", "ps", Id(target.Id));

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal($"braid ps: cannot attach to process {target.Id} (dotnet): permission denied (it belongs to another user, or ptrace is restricted); run braid as its user or as root\n", stderr);
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task Braid_killed_mid_read_leaves_the_target_running()
    {
        using var target = await TargetProcess.StartAsync("chain");
        var start = BraidProcess.StartInfo(null, "ps", Id(target.Id));
        start.Environment[AsyncProcess.HoldAfterAttachVariable] = "1";
        using var braid = Process.Start(start)!;
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        Assert.Equal("braid ps: attached", await braid.StandardError.ReadLineAsync(guard.Token));
        Assert.All(target.ThreadStates(), state => Assert.Equal('t', state)); // every thread stopped by braid
        braid.Kill(); // SIGKILL: no handler of braid's runs
        await braid.WaitForExitAsync(guard.Token);

        Assert.True(await target.AnswersAsync());
        Assert.DoesNotContain('t', target.ThreadStates());
    }

    [Fact]
    public async Task The_command_prints_the_tree_and_the_times()
    {
        using var target = await TargetProcess.StartAsync("chain");

        var (code, stdout, stderr) = await BraidProcess.RunAsync(null, "ps", Id(target.Id), "--tree", "--coalesce");

        Assert.Equal(0, code);
        Assert.Contains("└── child 'waiter'\n    └── Groups.RunAsync lambda awaiting AsyncLock#2\n", stdout, StringComparison.Ordinal);
        Assert.Matches($"^process {target.Id} \\(dotnet, \\.NET 10\\.[0-9.]+\\): 12 pending async methods; paused [0-9.]+ m?s, total [0-9.]+ m?s\n$", stderr);
    }

    private static string Id(int pid) => pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
