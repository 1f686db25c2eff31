namespace Braid.Cli.Tests;

/// <summary>The command line as a user meets it (issue 12): the command's name, unknown commands, contradictory and useless options.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("braid-cli-line-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData("--help", "braid [command] [options]")]
    [InlineData("lab --help", "braid lab [options]")]
    [InlineData("pipeline --help", "braid pipeline [options]")]
    public async Task Help_names_the_command_braid(string args, string usage)
    {
        var (exit, stdout, _) = await Cli.RunAsync(args.Split(' '));
        Assert.Equal(0, exit);
        Assert.Contains("Usage:\n  " + usage, stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Braid.Cli", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("help")]
    [InlineData("LAB")]
    [InlineData("--frob")]
    public async Task An_unknown_command_is_named_with_the_list_of_commands_and_exit_2(string command)
    {
        var (exit, stdout, stderr) = await Cli.RunAsync(command);
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"braid: unknown command '{command}'", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("  lab ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  pipeline ", StringComparison.Ordinal));
        Assert.DoesNotContain("lab-worker", stderr, StringComparison.Ordinal); // internal
    }

    [Fact]
    public async Task No_command_lists_the_commands_and_exits_2()
    {
        var (exit, _, stderr) = await Cli.RunAsync();
        Assert.Equal(2, exit);
        Assert.StartsWith("braid: no command given\ncommands:\n", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pipeline --format graphml -o out.gexf", "braid pipeline: --format graphml contradicts --output out.gexf")]
    [InlineData("pipeline -o out.txt", "braid pipeline: --output: cannot tell the format of 'out.txt'; name it .gexf or .graphml, or pass --format gexf|graphml")]
    [InlineData("pipeline --data /dev/null", "braid pipeline: --data: /dev/null is empty, not WordNet data")]
    public async Task Options_that_contradict_the_choice_are_errors(string args, string expected)
    {
        var (exit, stdout, stderr) = await Cli.RunAsync(args.Split(' '));
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal(expected + "\n", stderr);
    }

    [Theory]
    [InlineData("-w cpu --latency 5 --workers 3 -m sequential", "--latency does nothing here: the cpu workload makes no requests", "--workers does nothing here: the processes model is not run")]
    [InlineData("-w cpu --db-connections pooled --concurrency 4 -m sequential", "--db-connections does nothing here: only the db workload opens connections", "--concurrency does nothing here: neither the pool nor the async-bounded model is run")]
    public async Task Options_that_do_nothing_for_the_choice_are_warnings_and_the_run_goes_on(string args, string first, string second)
    {
        var (exit, _, stderr) = await Cli.RunAsync(["lab", .. args.Split(' '), "--tasks", "1", "--cpu-size", "10", "--no-progress"]);
        Assert.True(exit == 0, stderr);
        Assert.Equal($"braid lab: warning: {first}\nbraid lab: warning: {second}\n", stderr);
    }

    [Fact]
    public async Task Options_the_choice_uses_are_not_warned_about()
    {
        var (exit, _, stderr) = await Cli.RunAsync("lab", "-w", "cpu", "--cpu-size", "10", "--concurrency", "2", "-m", "async-bounded", "--tasks", "1", "--no-progress");
        Assert.True(exit == 0, stderr);
        Assert.Equal(string.Empty, stderr);
    }

    public static TheoryData<string[], string> Paths() => new()
    {
        { ["lab", "--json", ""], "braid lab: --json: expects a file path" },
        { ["lab", "--html", "/nonexistent-braid/r.html"], "braid lab: cannot write /nonexistent-braid/r.html: the folder /nonexistent-braid does not exist" },
        { ["pipeline", "-o", "", "--format", "gexf"], "braid pipeline: --output: expects a file path" },
        { ["pipeline", "-o", "/nonexistent-braid/g.gexf"], "braid pipeline: cannot write /nonexistent-braid/g.gexf: the folder /nonexistent-braid does not exist" },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Path_errors_are_plain_sentences_without_dotnet_internals(string[] args, string expected)
    {
        var (exit, _, stderr) = await Cli.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Equal(expected + "\n", stderr);
    }

    [Fact]
    public async Task Two_options_naming_the_same_file_by_real_path_are_an_error()
    {
        var json = Path.Combine(_temp, "r.json");
        var link = Path.Combine(_temp, "link.json");
        File.CreateSymbolicLink(link, json);
        var (exit, _, stderr) = await Cli.RunAsync("lab", "--quick", "--json", json, "--trace", link);
        Assert.Equal(2, exit);
        Assert.Equal($"braid lab: --json and --trace name the same file ({link})\n", stderr);

        var (stdoutTwice, _, twice) = await Cli.RunAsync("lab", "--quick", "--json", "-", "--html", "-");
        Assert.Equal(2, stdoutTwice);
        Assert.Equal("braid lab: --html and --json name the same file (-)\n", twice);
        Assert.False(File.Exists(json));
    }
}
