namespace Braid.Cli.Tests;

/// <summary><c>braid lab --workload web</c>'s command line: bad input is one line and exit 2 before any server starts.</summary>
public sealed class WebLabCommandTests
{
    [Theory]
    [InlineData("--endpoints blocking,fibers", "braid lab: 'fibers' is not one of blocking, async, sync-over-async, cpu")]
    [InlineData("--endpoints async,async", "braid lab: an endpoint is named twice")]
    [InlineData("--rate 0", "braid lab: the rate must be more than 0 and at most 100000 requests a second, not 0")]
    [InlineData("--duration -2", "braid lab: the duration must be between 1 and 3600 s, not -2")]
    [InlineData("--concurrency 0", "braid lab: connections must be between 1 and 10000, not 0")]
    [InlineData("--latency 20000", "braid lab: the work must be between 0 and 10000 ms, not 20000")]
    [InlineData("--rate abc", "braid lab: --rate: 'abc' is not a number of requests a second")]
    [InlineData("--trace t.json", "braid lab: --trace: the web workload writes no such report yet; --json writes everything it measured")]
    [InlineData("--json - --html -", "braid lab: --html: - is already another report's destination")]
    [InlineData("--json /nonexistent-braid/r.json", "braid lab: cannot write /nonexistent-braid/r.json: the folder /nonexistent-braid does not exist")]
    public async Task Bad_input_is_one_line_and_exit_2(string args, string expected)
    {
        var (exit, stdout, stderr) = await Cli.RunAsync(["lab", "-w", "web", "--quick", "--no-progress", .. args.Split(' ')]);
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal(expected + "\n", stderr);
    }

    [Fact]
    public async Task Web_options_with_another_workload_are_warnings()
    {
        var (exit, _, stderr) = await Cli.RunAsync("lab", "-w", "cpu", "--cpu-size", "10", "-m", "sequential", "--tasks", "1", "--rate", "5", "--no-progress");
        Assert.True(exit == 0, stderr);
        Assert.Equal("braid lab: warning: --rate does nothing here: only the web workload reads it\n", stderr);
    }

    [Fact]
    public async Task Lab_options_with_the_web_workload_are_warnings_before_the_first_check()
    {
        var (exit, _, stderr) = await Cli.RunAsync("lab", "-w", "web", "--tasks", "5", "--rate", "0", "--no-progress");
        Assert.Equal(2, exit);
        Assert.StartsWith("braid lab: warning: --tasks does nothing here: the web workload", stderr, StringComparison.Ordinal);
    }
}
