using System.Diagnostics;

namespace Braid.Tracing.Tests;

/// <summary><c>braid top</c> on a real lock convoy: its samples, and its plain lines when redirected (issue 14).</summary>
public sealed class ProcessMonitorTests
{
    [Fact]
    public async Task A_convoy_shows_as_contention_in_the_samples()
    {
        using var target = await TargetProcess.StartAsync("convoy");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var contended = new TaskCompletionSource<TopSample>(TaskCreationOptions.RunContinuationsAsynchronously);

        var watching = ProcessMonitor.WatchAsync(
            target.Id,
            sample =>
            {
                if (sample.ContentionPerSecond > 0)
                {
                    contended.TrySetResult(sample);
                }
            },
            stop.Token);
        var seen = await contended.Task.WaitAsync(stop.Token);
        await stop.CancelAsync();
        await watching;

        Assert.True(seen.ContentionPerSecond > 0);
        Assert.True(seen.GcHeapMegabytes > 0);
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task Redirected_output_is_plain_lines_a_second()
    {
        using var target = await TargetProcess.StartAsync("convoy");
        using var braid = Process.Start(BraidProcess.StartInfo(null, "top", target.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)))!;
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            Assert.Equal("time\tthreads\tqueue\titems/s\tcontention/s\twaits/s\theap MB\talloc MB/s\tchildren/s\tchildren\twaiters/s", await braid.StandardOutput.ReadLineAsync(guard.Token));
            var row = (await braid.StandardOutput.ReadLineAsync(guard.Token))!.Split('\t');
            Assert.Equal(11, row.Length);
            Assert.Matches("^[0-9]+s$", row[0]);
        }
        finally
        {
            braid.Kill();
        }
    }

    [Fact]
    public async Task No_such_process_is_one_line_and_exit_code_2()
    {
        var (code, stdout, stderr) = await BraidProcess.RunAsync(null, "top", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal($"braid top: no process with id {int.MaxValue} (it does not exist or has exited)\n", stderr);
    }
}
