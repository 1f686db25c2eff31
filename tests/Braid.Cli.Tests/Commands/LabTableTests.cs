using Braid.Cli.Commands;
using Braid.Lab;
using Spectre.Console.Testing;

namespace Braid.Cli.Tests.Commands;

/// <summary>The lab's results table rendered in process at common terminal widths: it fits, and no number is broken across lines.</summary>
public sealed class LabTableTests
{
    private static readonly string[] ModelNames = ["sequential", "threads", "pool", "processes", "async", "async-bounded", "loop"];

    // Wide but realistic figures (a slow processes run with workers' RSS, thousands of context switches).
    private static LabResults Results(int cancelled = 6) => new()
    {
        StartedAt = DateTimeOffset.UnixEpoch,
        Workload = "sqlite",
        Tasks = 200,
        ProcessorCount = 2,
        ResultsAgree = true,
        Overhead = new LabOverhead(),
        Models = [.. ModelNames.Select((name, i) => new ModelResult
        {
            Model = name,
            Status = i == cancelled ? "cancelled" : "completed",
            WallMs = 8672.5,
            SpeedupOverSequential = 12.3,
            ThroughputPerSecond = 12345,
            LatencyP50Ms = 1056.4,
            LatencyP99Ms = 12123.9,
            LatencyMaxMs = 12356.4,
            UserCpuMs = 12832,
            SystemCpuMs = 1480,
            PeakRssBytes = 196L << 20,
            WorkersPeakRssBytes = i == 3 ? 1188L << 20 : 0,
            PeakThreads = 116,
            VoluntaryContextSwitches = 16442,
            InvoluntaryContextSwitches = 305812,
            AllocatedBytes = 1616L << 20,
            TasksOk = 198,
            TasksFailed = i == 3 ? 2 : 0,
        })],
    };

    private static readonly string[] Numbers =
    [
        "8.67 s", "12.3x", "12345", "1056.4", "12123.9", "12356.4", "12832+1480", "196", "196+1188", "116", "16442/305812", "1616.0", "198/0", "198/2",
    ];

    private static string[] Render(int width, int cancelled = 6)
    {
        var console = new TestConsole().Width(width);
        LabConsole.Render(console, Results(cancelled));
        return console.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
    }

    [Theory]
    [InlineData(80, 6)]
    [InlineData(120, 6)]
    [InlineData(200, 6)]
    [InlineData(80, 5)] // "async-bounded (cancelled)" leaves no room for the status at 80 columns
    public void Table_fits_the_width_and_never_breaks_a_number(int width, int cancelled)
    {
        var lines = Render(width, cancelled);
        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}"));

        // A table row is a line starting with the border; every cell of it must be one of the figures, whole.
        var cells = lines.Where(l => l.StartsWith('│')).SelectMany(l => l.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        var rows = lines.Count(l => l.StartsWith('│'));
        Assert.Equal(ModelNames.Length + 1, rows); // the header and one line per model: nothing wrapped
        foreach (var cell in cells.Where(c => char.IsDigit(c[0])))
        {
            Assert.Contains(cell, Numbers);
        }

        Assert.Contains(lines, l => l.Contains("8.67 s", StringComparison.Ordinal) && l.Contains("12123.9", StringComparison.Ordinal) && l.Contains("12832+1480", StringComparison.Ordinal));
    }

    [Fact]
    public void A_narrow_table_keeps_the_key_columns_and_says_what_it_hid()
    {
        var at80 = Render(80);
        var header = at80.First(l => l.Contains("model", StringComparison.Ordinal));
        foreach (var column in new[] { "model", "wall", "speedup", "p99 ms", "cpu user+sys ms", "ok/failed" })
        {
            Assert.Contains(column, header, StringComparison.Ordinal);
        }

        Assert.Contains("hidden to fit: tasks/s, p50, max, RSS, threads, ctx sw, alloc; --json has all", at80);
        Assert.Contains(at80, l => l.Contains("processes", StringComparison.Ordinal) && l.Contains("198/2", StringComparison.Ordinal));

        var at120 = Render(120);
        var hint120 = Assert.Single(at120, l => l.StartsWith("hidden to fit:", StringComparison.Ordinal));
        Assert.True(at120.First(l => l.Contains("model", StringComparison.Ordinal)).Split('│').Length > header.Split('│').Length, "120 columns show more than 80");
        Assert.DoesNotContain("p50", hint120, StringComparison.Ordinal);

        Assert.DoesNotContain(Render(200), l => l.StartsWith("hidden to fit:", StringComparison.Ordinal));
    }
}
