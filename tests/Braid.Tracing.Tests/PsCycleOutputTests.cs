using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Braid.Tracing.Tests;

/// <summary>
/// Wait-for cycles in every output of <c>braid ps</c> (issue 14), not only <c>--tree</c>: the table and CSV end
/// with them, the JSON holds them under <c>cycles</c>, each with the path the in-process task tree prints.
/// </summary>
public sealed partial class PsCycleOutputTests
{
    [Fact]
    public async Task The_json_csv_and_table_of_a_deadlocked_process_hold_its_cycle()
    {
        using var target = await GrandchildTarget.StartAsync("deadlock");
        var id = target.Id.ToString(CultureInfo.InvariantCulture);

        var (jsonCode, json, _) = await BraidProcess.RunAsync(null, "ps", id, "--json");
        var (csvCode, csv, _) = await BraidProcess.RunAsync(null, "ps", id, "--csv", "--coalesce");
        var snapshot = AsyncProcess.Capture(target.Id);

        Assert.Equal(0, jsonCode);
        using var document = JsonDocument.Parse(json);
        var cycle = Assert.Single(document.RootElement.GetProperty("cycles").EnumerateArray());
        Assert.Matches(CyclePattern(), cycle.GetProperty("path").GetString()!);
        Assert.Equal(["a", "b"], cycle.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(cycle.GetProperty("children").EnumerateArray(), c => Assert.StartsWith("AsyncLock#", c.GetProperty("waitingOn").GetString(), StringComparison.Ordinal));

        Assert.Equal(0, csvCode);
        var last = csv.TrimEnd('\n').Split('\n')[^1];
        Assert.StartsWith("cycle,,", last, StringComparison.Ordinal);
        Assert.Matches(CyclePattern(), last["cycle,,".Length..]);
        Assert.Single(csv.Split('\n'), l => l.StartsWith("cycle,", StringComparison.Ordinal));

        Assert.Matches(CyclePattern(), snapshot.ToTable().TrimEnd('\n').Split('\n')[^1]);
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task A_process_without_a_cycle_has_an_empty_cycles_array_and_no_cycle_row()
    {
        using var target = await GrandchildTarget.StartAsync("chain");

        var snapshot = AsyncProcess.Capture(target.Id);

        using var document = JsonDocument.Parse(snapshot.ToJson());
        Assert.Equal(0, document.RootElement.GetProperty("cycles").GetArrayLength());
        Assert.DoesNotContain("\ncycle", snapshot.ToCsv(), StringComparison.Ordinal);
        Assert.DoesNotContain("cycle:", snapshot.ToTable(), StringComparison.Ordinal);
    }

    [GeneratedRegex("^cycle: child 'a' → AsyncLock#([0-9]+) held by 'b' → AsyncLock#([0-9]+) held by 'a'$")]
    private static partial Regex CyclePattern();
}
