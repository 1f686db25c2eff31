using System.Reflection;
using System.Text.RegularExpressions;

namespace Braid.Tracing.Tests;

/// <summary>
/// Holders of <c>AsyncSemaphore</c> permits and <c>AsyncReaderWriterLock</c> locks out of process (issue 14): found,
/// like an <c>AsyncLock</c>'s, through the releaser kept in the holding method's state machine, so a deadlock
/// through them is a wait-for cycle too.
/// </summary>
public sealed partial class PsPermitCycleTests
{
    [Fact]
    public async Task A_deadlock_through_a_semaphore_and_a_reader_writer_lock_is_a_cycle()
    {
        using var target = await GrandchildTarget.StartAsync("permits");

        var snapshot = AsyncProcess.Capture(target.Id);

        var cycle = Assert.Single(snapshot.Cycles).ToString();
        var match = CyclePattern().Match(cycle);
        Assert.True(match.Success, cycle);
        Assert.NotEqual(match.Groups[1].Value, match.Groups[2].Value);
        Assert.EndsWith(cycle + "\n", snapshot.ToTable(), StringComparison.Ordinal);
        Assert.True(await target.AnswersAsync());
    }

    [Fact]
    public async Task Permits_left_free_make_no_cycle()
    {
        using var target = await GrandchildTarget.StartAsync("chain");

        var snapshot = AsyncProcess.Capture(target.Id);

        Assert.Empty(snapshot.Cycles);
    }

    [Fact]
    public void The_releasers_and_the_state_the_reader_reads_exist()
    {
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        var core = typeof(Braid.Coordination.AsyncSemaphore).Assembly;
        Assert.Equal(typeof(Braid.Coordination.AsyncSemaphore), core.GetType(ContractV1.SemaphoreReleaser)!.GetField(ContractV1.ReleaserOwner, Instance)!.FieldType);
        Assert.Equal(typeof(Braid.Coordination.AsyncReaderWriterLock), core.GetType(ContractV1.ReaderWriterReleaser)!.GetField(ContractV1.ReleaserOwner, Instance)!.FieldType);
        Assert.Equal(typeof(int), core.GetType(ContractV1.AsyncSemaphore)!.GetField(ContractV1.LockState, Instance)!.FieldType);
        Assert.Equal(typeof(int), core.GetType(ContractV1.AsyncReaderWriterLock)!.GetField(ContractV1.LockState, Instance)!.FieldType);
        var slow = core.GetType(ContractV1.AsyncReaderWriterLock)!.GetField("SlowBit", BindingFlags.Static | BindingFlags.NonPublic)!;
        Assert.Equal(ContractV1.ReaderWriterSlowBit, (int)slow.GetValue(null)!);
    }

    [GeneratedRegex("^cycle: child 'a' → AsyncReaderWriterLock#([0-9]+) held by 'b' → AsyncSemaphore#([0-9]+) held by 'a'$")]
    private static partial Regex CyclePattern();
}
