namespace Braid.Testing.Tests;

public sealed class SequencerTests
{
    [Fact]
    public void Steps_run_in_position_order_whatever_order_the_tasks_start_in() => LoopTest.Run(async _ =>
    {
        var sequencer = new Sequencer();
        var log = new List<string>();
        await Task.WhenAll(
            StepAsync("b", 1, 4),
            StepAsync("a", 0, 3),
            StepAsync("c", 2, 5));
        Assert.Equal(["a0", "b1", "c2", "a3", "b4", "c5"], log);

        async Task StepAsync(string name, int first, int second)
        {
            using (await sequencer.WaitForTurnAsync(first))
            {
                log.Add($"{name}{first}");
                await Task.Yield(); // other tasks run meanwhile, but cannot pass their turn
            }

            using (await sequencer.WaitForTurnAsync(second))
            {
                log.Add($"{name}{second}");
            }
        }
    });

    [Fact]
    public async Task The_current_position_completes_synchronously_and_a_position_is_used_once()
    {
        var sequencer = new Sequencer();
        var turn = sequencer.WaitForTurnAsync(0);
        Assert.True(turn.IsCompletedSuccessfully);
        Assert.Throws<InvalidOperationException>(() => { _ = sequencer.WaitForTurnAsync(0); });
        (await turn).Dispose();
        using (await sequencer.WaitForTurnAsync(1))
        {
        }
    }

    [Fact]
    public async Task A_cancelled_wait_breaks_the_sequencer_so_others_fail_instead_of_hanging()
    {
        var sequencer = new Sequencer();
        using var cts = new CancellationTokenSource();
        var second = sequencer.WaitForTurnAsync(2);
        var first = sequencer.WaitForTurnAsync(1, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        var broken = await Assert.ThrowsAsync<InvalidOperationException>(() => second);
        Assert.Contains("position 1", broken.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sequencer.WaitForTurnAsync(0));
    }
}
