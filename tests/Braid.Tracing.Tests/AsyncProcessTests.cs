using System.Text.Json;

namespace Braid.Tracing.Tests;

/// <summary><c>braid ps</c>'s reader on a real target process with a known async state (issue 14).</summary>
public sealed class AsyncProcessTests
{
    /// <summary>The exact tree of the <c>chain</c> target, shared by the tests that read it in other ways.</summary>
    internal const string ChainTree = """
        Orders.ServeAsync
        └── Orders.LoadAsync
            └── Orders.FetchAsync awaiting Task
        Program.Main (running)
        task group #1 'app'
        ├── child 'holder'
        │   └── Groups.RunAsync lambda awaiting Task
        ├── child 'server'
        │   └── task group #3 'connections'
        │       └── child 'worker' ×3
        │           └── Groups.ServeConnectionsAsync lambda
        │               └── Groups.WorkAsync awaiting Task
        └── child 'waiter'
            └── Groups.RunAsync lambda awaiting AsyncLock#2

        """;

    [Fact]
    public async Task The_known_chain_and_task_groups_are_read_exactly_and_the_target_runs_on()
    {
        using var target = await GrandchildTarget.StartAsync("chain");

        var snapshot = AsyncProcess.Capture(target.Id);

        Assert.Equal(ChainTree.ReplaceLineEndings("\n"), snapshot.ToTree(coalesce: true));
        Assert.Equal(12, snapshot.MethodCount);
        Assert.Equal(1, snapshot.ContractVersion);
        Assert.Null(snapshot.Warning);
        Assert.True(snapshot.PauseTime > TimeSpan.Zero && snapshot.TotalTime >= snapshot.PauseTime);
        Assert.StartsWith("10.", snapshot.RuntimeVersion, StringComparison.Ordinal);
        Assert.True(await target.AnswersAsync());
        Assert.DoesNotContain('t', target.ThreadStates());
    }

    [Fact]
    public async Task The_table_json_and_csv_carry_the_same_chains()
    {
        using var target = await GrandchildTarget.StartAsync("chain");

        var snapshot = AsyncProcess.Capture(target.Id);

        Assert.Equal(
            """
            count  awaits       chain (innermost ← outermost)
            3      Task         Groups.WorkAsync ← Groups.ServeConnectionsAsync lambda ← child 'worker' ← task group #3 'connections' ← child 'server' ← task group #1 'app'
            1      Task         Groups.RunAsync lambda ← child 'holder' ← task group #1 'app'
            1      AsyncLock#2  Groups.RunAsync lambda ← child 'waiter' ← task group #1 'app'
            1      Task         Orders.FetchAsync ← Orders.LoadAsync ← Orders.ServeAsync
            1      -            Program.Main

            """.ReplaceLineEndings("\n"),
            snapshot.ToTable(coalesce: true));

        var csv = snapshot.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("task,awaits,chain", csv[0]);
        Assert.Equal(8, csv.Length);
        Assert.Contains(csv, l => l.EndsWith(",AsyncLock#2,Groups.RunAsync lambda ← child 'waiter' ← task group #1 'app'", StringComparison.Ordinal));

        using var json = JsonDocument.Parse(snapshot.ToJson());
        Assert.Equal(target.Id, json.RootElement.GetProperty("pid").GetInt32());
        Assert.Equal(12, json.RootElement.GetProperty("methods").GetInt32());
        var orders = json.RootElement.GetProperty("roots")[0];
        Assert.Equal("method", orders.GetProperty("kind").GetString());
        Assert.Equal("Braid.Tracing.Target.Orders+<ServeAsync>d__0", orders.GetProperty("type").GetString());
        var fetch = orders.GetProperty("children")[0].GetProperty("children")[0];
        Assert.Equal("Orders.FetchAsync", fetch.GetProperty("name").GetString());
        Assert.Equal(0, fetch.GetProperty("state").GetInt32());
        Assert.Equal("Task", fetch.GetProperty("awaiting").GetString());
    }

    [Fact]
    public async Task Identical_chains_coalesce_into_one_row_with_their_count()
    {
        using var target = await GrandchildTarget.StartAsync("many", "200");

        var snapshot = AsyncProcess.Capture(target.Id);

        Assert.Contains("200    Task    Many.InnerAsync ← Many.MiddleAsync ← Many.OuterAsync\n", snapshot.ToTable(coalesce: true), StringComparison.Ordinal);
        Assert.Equal(601, snapshot.MethodCount); // 200 chains of three, and Main
    }

    [Fact]
    public void No_such_process_is_one_sentence()
    {
        var error = Assert.Throws<TracingException>(() => AsyncProcess.Capture(int.MaxValue));
        Assert.Equal($"no process with id {int.MaxValue} (it does not exist or has exited)", error.Message);
    }

    [Theory]
    [InlineData("Braid.Tracing.Target.Orders+<FetchAsync>d__2", "Orders.FetchAsync")]
    [InlineData("Braid.Tracing.Target.Groups+<>c__DisplayClass3_1+<<RunAsync>b__3>d", "Groups.RunAsync lambda")]
    [InlineData("Ns.Outer+Inner<System.Int32>+<RunAsync>d__4", "Inner.RunAsync")]
    [InlineData("Program+<<Main>$>d__0", "Program.Main")]
    [InlineData("Ns.Groups+<<RunAsync>g__Poll|3_0>d", "Groups.RunAsync.Poll")]
    public void State_machine_types_print_as_their_method(string type, string expected) =>
        Assert.Equal(expected, HeapGraph.MethodName(type));
}
