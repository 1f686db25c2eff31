using System.CommandLine;
using System.CommandLine.Help;
using System.Text.RegularExpressions;
using Braid.Lab;

namespace Braid.Cli.Tests;

/// <summary>
/// Every option of every braid command, fed a value it cannot take, answers with one line naming the option
/// and what it expects (OptionValues), never a CLR type name. Walks the real command tree in-process, so an
/// option added later without a parser fails here.
/// </summary>
public sealed class OptionValuesTests
{
    private const string Bogus = "?bogus?";

    public static TheoryData<string, string> Options()
    {
        var data = new TheoryData<string, string>();
        foreach (var command in BraidCommand.CreateRoot().Subcommands)
        {
            foreach (var option in command.Options.Where(o => o is not HelpOption and not VersionOption))
            {
                data.Add(command.Name, option.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void A_value_the_option_cannot_take_is_one_line_naming_the_option(string command, string name)
    {
        var option = Find(command, name);
        var flag = option.ValueType == typeof(bool);
        string[] args = flag ? [command, .. Required(command), $"{name}={Bogus}"] : [command, .. Required(command), name, Bogus];
        var parsed = BraidCommand.CreateRoot().Parse(args);
        if (parsed.Errors.Count == 0)
        {
            // Free text (a path): any value parses. A flag's value that is not true or false is left over,
            // and a command with a list argument (braid trace -- COMMAND...) takes it as that.
            Assert.True(option.ValueType == typeof(string) || (flag && Variadic(command)), $"{command} {name} took '{Bogus}'");
            return;
        }

        var line = CliRunner.ErrorLine(parsed, args);
        Assert.Matches(new Regex($"^braid {command}: {name}: '{Regex.Escape(Bogus)}' is not [a-z]"), line);
        Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void A_missing_value_says_what_the_option_expects(string command, string name)
    {
        var option = Find(command, name);
        string[] args = [command, .. Required(command), name];
        var parsed = BraidCommand.CreateRoot().Parse(args);
        if (option.ValueType == typeof(bool))
        {
            Assert.Empty(parsed.Errors); // a flag needs no value
            return;
        }

        var line = CliRunner.ErrorLine(parsed, args);
        Assert.StartsWith($"braid {command}: {name}: expects ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lab --tasks 2147483648", "braid lab: --tasks: '2147483648' is too large")]
    [InlineData("lab --seed -2147483649", "braid lab: --seed: '-2147483649' is too small")]
    [InlineData("lab --tasks 2147483647 --seed -2147483648", null)]
    [InlineData("lab --latency 2.5 --jitter 1e2 --failure-rate .5", null)]
    [InlineData("lab --latency 2,5", "braid lab: --latency: '2,5' is not a number of milliseconds")]
    [InlineData("lab --workload CPU --models Sequential,async-bounded --db-connections POOLED", null)]
    [InlineData("lab --models async,,loop,", null)]
    [InlineData("lab --quick=false --no-progress:true", null)]
    [InlineData("lab --latency 1 --latency 2", "braid lab: Option '--latency' expects a single argument but 2 were provided.")]
    [InlineData("lab --latancy 3", "braid lab: Unrecognized command or argument '--latancy'.")]
    public void Values_are_read_in_the_invariant_culture_and_edge_cases_say_why(string arguments, string? expected)
    {
        var args = arguments.Split(' ');
        var parsed = BraidCommand.CreateRoot().Parse(args);
        if (expected is null)
        {
            Assert.Empty(parsed.Errors);
        }
        else
        {
            Assert.Equal(expected, CliRunner.ErrorLine(parsed, args));
        }
    }

    [Fact]
    public void Parsed_values_are_the_canonical_names_and_the_defaults_survive()
    {
        var root = BraidCommand.CreateRoot();
        var pipeline = root.Parse(["pipeline", "--pos", "VERB"]);
        Assert.Equal("verb", pipeline.GetValue<string>("--pos"));
        Assert.Equal("lexfile", pipeline.GetValue<string>("--group-by"));
        Assert.Equal(4, pipeline.GetValue<int>("--workers"));
        Assert.Null(pipeline.GetValue<string>("--format"));

        var lab = root.Parse(["lab", "--models", "loop, Async"]);
        Assert.Equal([LabCatalog.Loop, LabCatalog.Async], lab.GetValue<IReadOnlyList<LabModel>>("--models"));
        Assert.Equal(LabCatalog.Db.Name, root.Parse(["lab", "-w", "DB"]).GetValue<string>("--workload"));
        Assert.Equal("web", root.Parse(["lab", "-w", "Web"]).GetValue<string>("--workload"));
        Assert.Null(lab.GetValue<int?>("--tasks"));
        Assert.Null(lab.GetValue<string>("--workload"));
    }

    private static Option Find(string command, string name) =>
        BraidCommand.CreateRoot().Subcommands.Single(c => c.Name == command).Options.Single(o => o.Name == name);

    // A value for each required argument (braid ps PID, braid top PID), so that the option is what fails.
    private static string[] Required(string command) =>
        [.. BraidCommand.CreateRoot().Subcommands.Single(c => c.Name == command).Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0).Select(_ => "1")];

    private static bool Variadic(string command) =>
        BraidCommand.CreateRoot().Subcommands.Single(c => c.Name == command).Arguments.Any(a => a.Arity.MaximumNumberOfValues > 1);
}
