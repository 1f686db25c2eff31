using System.CommandLine;
using System.Globalization;
using Braid.Tracing;
using Spectre.Console;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid top PID</c> (issue 14): a live dashboard of a running process's async vital signs until Ctrl-C,
/// from <see cref="ProcessMonitor"/>; a table redrawn in place on a terminal, one plain line a second when
/// the output is redirected. This file renders.
/// </summary>
internal static class TopCommand
{
    private static readonly string[] Header = ["time", "threads", "queue", "items/s", "contention/s", "waits/s", "heap MB", "alloc MB/s", "children/s", "children", "waiters/s"];

    public static Command Create()
    {
        var pid = new Argument<int>("PID") { Description = "The .NET process to watch" };
        var command = new Command("top", "Watch a .NET process's async vital signs live: pool threads and queue, work items, contention, GC, Braid's children and waiters.")
        {
            pid,
        };
        command.SetAction((parsed, cancellationToken) => RunAsync(
            parsed.GetValue(pid),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    /// <summary>Watches until <paramref name="cancellationToken"/> (Ctrl-C) or the process exits; bad input is one line and <see cref="CliRunner.BadInput"/>.</summary>
    internal static async Task<int> RunAsync(int pid, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, IAnsiConsole? console = null)
    {
        console ??= ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected
            ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) })
            : null;
        try
        {
            if (console is not null && PipelineProgress.CanAnimate(console))
            {
                var table = new Table().Title($"braid top {pid} (Ctrl-C to stop)");
                foreach (var column in Header)
                {
                    table.AddColumn(new TableColumn(column).RightAligned());
                }

                await console.Live(table).StartAsync(async live =>
                {
                    await ProcessMonitor.WatchAsync(
                        pid,
                        sample =>
                        {
                            if (table.Rows.Count >= 15)
                            {
                                table.Rows.RemoveAt(0);
                            }

                            table.AddRow(Cells(sample));
                            live.Refresh();
                        },
                        cancellationToken);
                });
            }
            else
            {
                // The header comes with the first sample, so that a refused process prints nothing on stdout.
                var first = true;
                await ProcessMonitor.WatchAsync(
                    pid,
                    sample =>
                    {
                        if (first)
                        {
                            stdout.WriteLine(string.Join('\t', Header));
                            first = false;
                        }

                        stdout.WriteLine(string.Join('\t', Cells(sample)));
                        stdout.Flush();
                    },
                    cancellationToken);
            }
        }
        catch (TracingException e)
        {
            await stderr.WriteLineAsync($"braid top: {e.Message}");
            return CliRunner.BadInput;
        }

        return 0;
    }

    private static string[] Cells(TopSample s)
    {
        var c = CultureInfo.InvariantCulture;
        return
        [
            s.Elapsed.TotalSeconds.ToString("F0", c) + "s", s.PoolThreads.ToString(c), s.QueueLength.ToString(c), s.WorkItemsPerSecond.ToString("F0", c),
            s.ContentionPerSecond.ToString("F0", c), s.BlockingWaitsPerSecond.ToString(c), s.GcHeapMegabytes.ToString("F1", c), s.AllocationMegabytesPerSecond.ToString("F1", c),
            s.BraidChildrenStarted.ToString(c), s.BraidChildrenRunning.ToString(c), s.BraidWaitersQueued.ToString(c),
        ];
    }
}
