using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Braid.Tracing.Tests;

/// <summary>
/// Lock holders and wait-for cycles out of process (issue 14): two children each holding one <c>AsyncLock</c>
/// and awaiting the other's, read from a real process; the cycle prints as <c>Braid.Diagnostics</c>' <c>WaitCycle</c> does in-process.
/// </summary>
public sealed partial class PsCycleTests
{
    [Fact]
    public async Task A_deadlock_between_two_children_is_reported_with_its_path()
    {
        using var target = await GrandchildTarget.StartAsync("deadlock");

        var snapshot = AsyncProcess.Capture(target.Id);

        var cycle = Assert.Single(snapshot.Cycles);
        var match = CyclePattern().Match(cycle.ToString());
        Assert.True(match.Success, cycle.ToString());
        Assert.NotEqual(match.Groups[1].Value, match.Groups[2].Value);
        var tree = snapshot.ToTree(coalesce: true);
        Assert.EndsWith(cycle + "\n", tree, StringComparison.Ordinal);
        Assert.Contains($"└── child 'b'\n    └── PsCycle", tree.Replace("Deadlock.TakeBothAsync", "PsCycle", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task The_command_prints_the_cycle_under_the_tree()
    {
        using var target = await GrandchildTarget.StartAsync("deadlock");

        var (code, stdout, _) = await BraidProcess.RunAsync(null, "ps", target.Id.ToString(CultureInfo.InvariantCulture), "--tree");

        Assert.Equal(0, code);
        Assert.Matches(CyclePattern(), stdout.TrimEnd('\n').Split('\n')[^1]);
    }

    [Fact]
    public void The_releaser_and_the_lock_state_the_reader_reads_exist()
    {
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        var core = typeof(Braid.Coordination.AsyncLock).Assembly;
        var releaser = core.GetType(ContractV1.LockReleaser.Replace('+', '+'))!;
        Assert.Equal(typeof(Braid.Coordination.AsyncLock), releaser.GetField(ContractV1.ReleaserOwner, Instance)!.FieldType);
        Assert.Equal(typeof(int), core.GetType(ContractV1.AsyncLock)!.GetField(ContractV1.LockState, Instance)!.FieldType);
    }

    [GeneratedRegex("^cycle: child 'a' → AsyncLock#([0-9]+) held by 'b' → AsyncLock#([0-9]+) held by 'a'$")]
    private static partial Regex CyclePattern();
}
