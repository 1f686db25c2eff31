using System.Diagnostics;
using Braid.Loop;
using Braid.Structured;

namespace Braid.Diagnostics.Tests;

/// <summary>The tree printed on a debug-mode report and on SIGQUIT; nothing installed unless asked.</summary>
public sealed class TaskTreeDumpTests
{
    [Fact]
    public void A_slow_loop_step_prints_the_live_tree_after_the_report()
    {
        var output = new FlushedWriter();
        using (TaskTreeDump.Install(new TaskTreeDumpOptions { OnDebugReports = true, Output = output }))
        {
            AsyncLoop.Run(
                async () =>
                {
                    var release = new TaskCompletionSource();
                    await TaskGroup.RunAsync(
                        async group =>
                        {
                            group.Start(async _ => await release.Task, "stuck");
                            await Task.Yield();
                            HoldTheLoop(); // the broken step: it holds the loop thread for 20 ms
                            await Task.Yield(); // the report fires as that step ends, with the child still live
                            release.SetResult();
                        },
                        new TaskGroupOptions { Name = "app" });
                },
                new AsyncLoopOptions { Debug = true, SlowStepThreshold = TimeSpan.FromMilliseconds(1), DebugOutput = TextWriter.Null });
        }

        var text = output.ToString();
        Assert.Contains("braid debug: task tree at slow step on loop ", text, StringComparison.Ordinal);
        Assert.True(text.Contains("'app'", StringComparison.Ordinal), text);
        Assert.Matches(@"loop #\d+ \(\d+ pending steps?, \d+ steps? run, debug\)\n└── task group #\d+ 'app' \(running, [^)]+\)\n    └── child 1 'stuck' \(running, ", text.Replace("\r", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SIGQUIT_prints_the_tree_when_asked_for_and_only_then()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // no SIGQUIT
        }

        var output = new FlushedWriter();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var dump = TaskTreeDump.Install(new TaskTreeDumpOptions { OnSigquit = true, OnDebugReports = false, Output = output }))
        {
            Assert.True(dump.OnSigquit);
            Assert.False(dump.OnDebugReports);
            var group = TaskGroup.RunAsync(
                g =>
                {
                    g.Start(async _ => await release.Task, "waiting-for-signal");
                    return Task.CompletedTask;
                },
                new TaskGroupOptions { Name = "service" });
            using (var kill = Process.Start("kill", ["-QUIT", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync().WaitAsync(Guard.Timeout);
            }

            await output.Flushed.WaitAsync(Guard.Timeout);
            release.SetResult();
            await group;
        }

        var text = output.ToString();
        Assert.StartsWith("braid debug: task tree at SIGQUIT:", text, StringComparison.Ordinal);
        Assert.Contains("'service'", text, StringComparison.Ordinal);
        Assert.Contains("child 1 'waiting-for-signal' (running", text, StringComparison.Ordinal);
    }

    [Fact]
    public void By_default_nothing_is_installed_unless_BRAID_DEBUG_is_1()
    {
        var saved = Environment.GetEnvironmentVariable(AsyncLoopOptions.DebugEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(AsyncLoopOptions.DebugEnvironmentVariable, null);
            using (var dump = TaskTreeDump.Install())
            {
                Assert.False(dump.OnDebugReports);
                Assert.False(dump.OnSigquit);
                Assert.False(Braid.Instrumentation.LiveTasks.IsRecording);
            }

            Environment.SetEnvironmentVariable(AsyncLoopOptions.DebugEnvironmentVariable, "1");
            using (var dump = TaskTreeDump.Install())
            {
                Assert.True(dump.OnDebugReports);
                Assert.False(dump.OnSigquit);
                Assert.True(Braid.Instrumentation.LiveTasks.IsRecording);
            }

            Assert.False(Braid.Instrumentation.LiveTasks.IsRecording);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AsyncLoopOptions.DebugEnvironmentVariable, saved);
        }
    }

    // Busy work, not a sleep: the step really holds the thread.
    private static void HoldTheLoop()
    {
        var start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < TimeSpan.FromMilliseconds(20))
        {
            Thread.SpinWait(100);
        }
    }

    private sealed class FlushedWriter : StringWriter
    {
        private readonly TaskCompletionSource _flushed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Flushed => _flushed.Task;

        public override void Flush()
        {
            base.Flush();
            _flushed.TrySetResult();
        }
    }
}
