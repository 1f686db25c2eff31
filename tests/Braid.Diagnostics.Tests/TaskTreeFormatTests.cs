using Braid.Instrumentation;

namespace Braid.Diagnostics.Tests;

/// <summary>
/// How a snapshot is shaped and printed, from snapshots written by hand: the cases a live program
/// makes hard to reach on purpose (an unrecorded group, a three-way cycle, names that need quoting).
/// </summary>
public sealed class TaskTreeFormatTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void Children_of_a_group_opened_before_the_session_show_under_an_unrecorded_group()
    {
        var tree = TaskTree.From(new LiveTaskSnapshot(
            [new LiveGroupInfo(20, "late", ParentChildId: 1, ParentGroupId: 0, Second, Cancelling: true)],
            [new LiveChildInfo(1, 10, null, 2 * Second, null), new LiveChildInfo(2, 20, "x", TimeSpan.FromMilliseconds(250), null)]));

        Assert.Equal(
            """
            task group #10 (unrecorded)
            └── child 1 (running, 2.0 s)
                └── task group #20 'late' (cancelling, 1.0 s)
                    └── child 2 'x' (cancelling, 250 ms)

            """.ReplaceLineEndings("\n"),
            tree.ToText());
    }

    [Fact]
    public void Children_are_coalesced_only_when_group_name_state_and_wait_all_match_and_they_opened_no_group()
    {
        var waitA = new LiveWaitInfo("AsyncSemaphore", 7, 0);
        var tree = TaskTree.From(new LiveTaskSnapshot(
            [new LiveGroupInfo(1, "g", 0, 0, 3 * Second, false), new LiveGroupInfo(2, "nested", ParentChildId: 4, 0, Second, false)],
            [
                new LiveChildInfo(1, 1, "w", Second, waitA),
                new LiveChildInfo(2, 1, "w", 3 * Second, waitA),
                new LiveChildInfo(3, 1, "w", Second, new LiveWaitInfo("AsyncSemaphore", 8, 0)),
                new LiveChildInfo(4, 1, "w", Second, waitA),
                new LiveChildInfo(5, 1, "w", Second, null),
            ]));

        Assert.Equal(
            """
            task group #1 'g' (running, 3.0 s)
            ├── child 1 'w' (waiting, 3.0 s) on AsyncSemaphore#7 ×2
            ├── child 3 'w' (waiting, 1.0 s) on AsyncSemaphore#8
            ├── child 4 'w' (waiting, 1.0 s) on AsyncSemaphore#7
            │   └── task group #2 'nested' (running, 1.0 s)
            └── child 5 'w' (running, 1.0 s)

            """.ReplaceLineEndings("\n"),
            tree.ToText());
    }

    [Fact]
    public void A_cycle_of_three_is_reported_once_from_its_lowest_child_and_a_chain_into_it_is_not_a_cycle()
    {
        var tree = TaskTree.From(new LiveTaskSnapshot(
            [new LiveGroupInfo(1, null, 0, 0, Second, false)],
            [
                new LiveChildInfo(1, 1, "outside", Second, new LiveWaitInfo("AsyncLock", 100, 3)),
                new LiveChildInfo(2, 1, null, Second, new LiveWaitInfo("AsyncLock", 101, 4)),
                new LiveChildInfo(3, 1, "c", Second, new LiveWaitInfo("AsyncLock", 102, 2)),
                new LiveChildInfo(4, 1, "d", Second, new LiveWaitInfo("AsyncLock", 103, 3)),
            ]));

        var cycle = Assert.Single(tree.FindCycles());

        Assert.Equal("cycle: child 2 → AsyncLock#101 held by 'd' → AsyncLock#103 held by 'c' → AsyncLock#102 held by 2", cycle.ToString());
        Assert.Contains("\"children\": [\n        2,\n        4,\n        3\n      ]", tree.ToJson().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_quotes_names_with_commas_quotes_and_line_breaks()
    {
        var tree = TaskTree.From(new LiveTaskSnapshot(
            [new LiveGroupInfo(1, "a,b", 0, 0, Second, false)],
            [new LiveChildInfo(1, 1, "say \"hi\"", Second, null), new LiveChildInfo(2, 1, "two\nlines", Second, null)]));

        Assert.Equal(
            """"
            task,name,group,group_name,state,age_ms,waits_on,waits_on_id,held_by,held_by_name,count,loop,awaited_by,await_chain
            1,"say ""hi""",1,"a,b",running,1000,,,,,1,,,
            2,"two
            lines",1,"a,b",running,1000,,,,,1,,,

            """".ReplaceLineEndings("\n"),
            tree.ToCsv());
    }

    [Fact]
    public void A_wait_any_of_several_holders_can_end_closes_no_cycle_but_one_every_holder_must_end_does()
    {
        // 1 waits for a permit held by 2 and 3 (any one can end it); 2 and 3 wait on locks 1 holds.
        var permit = new LiveWaitInfo("AsyncSemaphore", 9, 0) { Holders = [2, 3], NeedsAllHolders = false };
        LiveChildInfo[] children =
        [
            new(1, 1, "p", Second, permit),
            new(2, 1, "a", Second, new LiveWaitInfo("AsyncLock", 10, 1)),
            new(3, 1, "b", Second, new LiveWaitInfo("AsyncLock", 11, 1)),
        ];
        var anyOf = TaskTree.From(new LiveTaskSnapshot([new LiveGroupInfo(1, null, 0, 0, Second, false)], children));

        Assert.Empty(anyOf.FindCycles());
        Assert.Contains("child 1 'p' (waiting, 1.0 s) on AsyncSemaphore#9 held by one of child 2 'a', child 3 'b'\n", anyOf.ToText(), StringComparison.Ordinal);

        children[0] = children[0] with { WaitingOn = permit with { Kind = "AsyncReaderWriterLock.Writer", NeedsAllHolders = true } };
        var all = TaskTree.From(new LiveTaskSnapshot([new LiveGroupInfo(1, null, 0, 0, Second, false)], children));
        Assert.Equal(
            ["cycle: child 'p' → AsyncReaderWriterLock.Writer#9 held by 'a' → AsyncLock#10 held by 'p'", "cycle: child 'p' → AsyncReaderWriterLock.Writer#9 held by 'b' → AsyncLock#11 held by 'p'"],
            all.FindCycles().Select(c => c.ToString()));
    }

    [Fact]
    public void An_empty_tree_prints_nothing_but_the_headers()
    {
        var tree = TaskTree.From(new LiveTaskSnapshot([], []));

        Assert.Equal(string.Empty, tree.ToText());
        Assert.Equal("task  name  group  state  age  waits on  held by  count  awaited by  await chain\n", tree.ToTable());
        Assert.Equal("{\n  \"loops\": [],\n  \"groups\": [],\n  \"cycles\": []\n}", tree.ToJson().ReplaceLineEndings("\n"));
    }
}
