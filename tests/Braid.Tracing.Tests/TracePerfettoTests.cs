using System.Globalization;
using System.Text.Json;

namespace Braid.Tracing.Tests;

/// <summary><c>braid trace --perfetto FILE</c> as a real process: the timeline is written whole, and a file it cannot write is refused before anything is traced (issue 14).</summary>
public sealed class TracePerfettoTests
{
    [Fact]
    public async Task A_trace_of_a_running_process_writes_a_perfetto_file_beside_the_verdict()
    {
        using var target = await TargetProcess.StartAsync("convoy");
        var folder = Directory.CreateTempSubdirectory("braid-trace-").FullName;
        try
        {
            var file = Path.Combine(folder, "convoy.json");

            var (code, stdout, stderr) = await BraidProcess.RunAsync(null, "trace", "--pid", target.Id.ToString(CultureInfo.InvariantCulture), "--duration", "1s", "--perfetto", file);

            Assert.Equal(0, code);
            Assert.Contains("verdict: ", stdout, StringComparison.Ordinal);
            Assert.Equal($"braid trace: Perfetto trace written to {file} (open it in ui.perfetto.dev)\n", stderr);
            using var trace = JsonDocument.Parse(await File.ReadAllBytesAsync(file));
            Assert.Contains(trace.RootElement.GetProperty("traceEvents").EnumerateArray(), e => e.GetProperty("name").GetString() == "lock contention");
            Assert.True(await target.AnswersAsync());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_perfetto_file_in_a_missing_folder_is_one_line_and_exit_code_2_before_tracing()
    {
        var folder = Path.Combine(Path.GetTempPath(), "braid-trace-" + Guid.NewGuid().ToString("N"), "missing");

        var (code, stdout, stderr) = await BraidProcess.RunAsync(null, "trace", "--perfetto", Path.Combine(folder, "t.json"), "--", "true");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.StartsWith("braid trace: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.False(Directory.Exists(folder));
    }
}
