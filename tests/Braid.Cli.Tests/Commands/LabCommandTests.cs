using System.Diagnostics;

namespace Braid.Cli.Tests.Commands;

/// <summary>Runs 'braid lab' as a process (its exit code, stdout and stderr are what a user sees).</summary>
public sealed class LabCommandTests
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "Braid.Cli.dll");

    public static TheoryData<string> BadInputs() => new()
    {
        "lab --workload gpu",
        "lab --models sequential,fibers",
        "lab --tasks -5",
        "lab --tasks 100000000",
        "lab --latency -1",
        "lab --jitter 1e300",
        "lab --failure-rate 2",
        "lab --concurrency 0",
        "lab --db-connections shared",
        "lab --tasks many",
        "lab --no-such-flag",
        "lab --html /nonexistent-dir/report.html",
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_gets_one_clear_line_and_exit_code_2(string arguments)
    {
        var (exit, stdout, stderr) = await RunAsync(arguments);
        Assert.Equal(2, exit);
        Assert.StartsWith("braid", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("wrote", stdout, StringComparison.Ordinal);
    }

    // One value kind each: duration, whole number, fraction, enum, list, choice, flag; and a missing value.
    [Theory]
    [InlineData("lab --latency abc", "braid lab: --latency: 'abc' is not a number of milliseconds")]
    [InlineData("lab --tasks many", "braid lab: --tasks: 'many' is not a whole number")]
    [InlineData("lab --cpu-size 99999999999", "braid lab: --cpu-size: '99999999999' is too large")]
    [InlineData("lab --failure-rate half", "braid lab: --failure-rate: 'half' is not a number from 0 to 1")]
    [InlineData("lab --workload gpu", "braid lab: --workload: 'gpu' is not one of io, cpu, mixed, db, sqlite-naive, sqlite-single, web")]
    [InlineData("lab --models sequential,fibers", "braid lab: --models: 'fibers' is not one of sequential, threads, pool, processes, async, async-bounded, loop")]
    [InlineData("lab --db-connections shared", "braid lab: --db-connections: 'shared' is not one of fresh, pooled")]
    [InlineData("lab --quick=maybe", "braid lab: --quick: 'maybe' is not true or false")]
    [InlineData("lab --jitter", "braid lab: --jitter: expects a number of milliseconds")]
    public async Task A_bad_value_is_one_line_naming_the_option_and_what_it_expects(string arguments, string expected)
    {
        var (exit, stdout, stderr) = await RunAsync(arguments);
        Assert.Equal(2, exit);
        Assert.Equal(expected + "\n", stderr.ReplaceLineEndings("\n"));
        Assert.Equal(string.Empty, stdout);
    }

    [Fact]
    public async Task An_unwritable_report_path_is_refused_before_the_run_and_leaves_no_file()
    {
        var directory = Directory.CreateTempSubdirectory("braid-cli-test-").FullName;
        try
        {
            var json = Path.Combine(directory, "lab.json");
            var (exit, stdout, stderr) = await RunAsync($"lab --quick --json {json} --html {directory}");
            Assert.Equal(2, exit);
            Assert.Equal($"braid lab: {directory} is a directory", stderr.Trim());
            Assert.DoesNotContain("timeline", stdout, StringComparison.Ordinal); // nothing ran
            Assert.Empty(Directory.GetFileSystemEntries(directory));
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    [Fact]
    public async Task Help_shows_an_example_for_every_option()
    {
        var (exit, stdout, _) = await RunAsync("lab --help");
        Assert.Equal(0, exit);
        foreach (var option in new[] { "--workload", "--models", "--tasks", "--latency", "--jitter", "--failure-rate", "--cpu-size", "--concurrency", "--repeats", "--workers", "--db-connections", "--seed", "--html", "--json", "--trace", "--quick" })
        {
            Assert.Contains("Example: " + option, stdout.Replace("\n", " ", StringComparison.Ordinal).Replace("  ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_quick_run_prints_the_table_and_timeline_and_writes_every_file()
    {
        var directory = Directory.CreateTempSubdirectory("braid-cli-test-").FullName;
        try
        {
            var (exit, stdout, stderr) = await RunAsync($"lab --quick --models sequential,async,loop --tasks 8 --json {directory}/r.json --html {directory}/r.html --trace {directory}/r.trace.json");
            Assert.True(exit == 0, stderr + stdout);
            Assert.Contains("timeline (shared axis", stdout, StringComparison.Ordinal);
            Assert.Contains("All 3 completed models produced the same results", stdout, StringComparison.Ordinal);
            Assert.Equal(["r.html", "r.json", "r.trace.json"], Directory.GetFiles(directory).Select(Path.GetFileName).Order());
            Assert.Contains("<svg", await File.ReadAllTextAsync(Path.Combine(directory, "r.html")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    // SIGHUP (a closed terminal) ends a run as Ctrl-C does (issue 12).
    [Theory]
    [InlineData("INT")]
    [InlineData("HUP")]
    public async Task Ctrl_c_or_a_hang_up_ends_the_workers_and_still_writes_what_was_measured(string signal)
    {
        var directory = Directory.CreateTempSubdirectory("braid-cli-test-").FullName;
        try
        {
            var json = Path.Combine(directory, "r.json");
            using var process = Start($"lab --models async,processes --tasks 400 --latency 50 --workers 2 --json {json}");
            var stdout = process.StandardOutput.ReadToEndAsync();

            // Handshake on the CLI's own progress lines: interrupt once a worker has returned a task.
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("braid lab: processes ", StringComparison.Ordinal) && !line.EndsWith(" 0/400", StringComparison.Ordinal))
                {
                    using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                    await kill.WaitForExitAsync();
                    break;
                }
            }

            var stderr = await process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {stderr}");
            Assert.Contains("cancelled; the results above are partial", stderr, StringComparison.Ordinal);
            Assert.Contains("wrote " + json, await stdout, StringComparison.Ordinal);

            using var results = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(json));
            Assert.True(results.RootElement.GetProperty("cancelled").GetBoolean());
            var models = results.RootElement.GetProperty("models").EnumerateArray().ToList();
            Assert.Equal("completed", models[0].GetProperty("status").GetString());
            Assert.Equal("cancelled", models[1].GetProperty("status").GetString());
            var workers = models[1].GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("processId").GetInt32()).ToList();
            Assert.Equal(2, workers.Count);
            Assert.All(workers, pid => Assert.False(IsLabWorker(pid), $"worker {pid} outlived the run"));
            Assert.Equal(["r.json"], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName)); // no temporary file
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    [Fact]
    public async Task A_report_on_standard_output_is_the_only_thing_there()
    {
        var (exit, stdout, stderr) = await RunAsync("lab --quick -w cpu -m sequential --tasks 2 --no-progress --json -");
        Assert.True(exit == 0, stderr);
        using var results = System.Text.Json.JsonDocument.Parse(stdout); // the table went to stderr
        Assert.Equal("sequential", results.RootElement.GetProperty("models")[0].GetProperty("model").GetString());
        Assert.Contains("timeline (shared axis", stderr, StringComparison.Ordinal);
    }

    private static bool IsLabWorker(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("lab-worker", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // no such process
        }
    }

    private static Process Start(string arguments)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Cli);
        foreach (var argument in arguments.Split(' '))
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string arguments)
    {
        using var process = Start(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
