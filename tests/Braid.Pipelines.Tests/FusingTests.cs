using System.Diagnostics;
using Braid.Pipelines.Engine;

namespace Braid.Pipelines.Tests;

/// <summary>
/// Fusing (issue 11, rule 66): when the measured work of a batch is below a wake-up, the leader of a
/// stage with several workers runs the batch whole and keeps the lead, so the other workers stay
/// parked instead of being woken per batch; when the work grows, batches are split again. The work is
/// reported explicitly here (<see cref="Dispatcher{T}.Report"/>), so every step is deterministic.
/// </summary>
public sealed class FusingTests
{
    private static long Tiny => 0;

    // Per 4 items: past a wake-up, so batches are shared, yet well under a paced transfer (Outbox.TargetTicks),
    // so a batch is split only between the idle workers.
    private static long Large => Dispatcher<int>.HandOffTicks * 8;

    [Fact]
    public async Task Tiny_work_runs_whole_batches_on_the_leader_while_the_other_worker_stays_parked()
    {
        var (link, dispatcher) = Create();
        var leader = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        var follower = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        dispatcher.Report(Tiny, 4);

        await Write(link, 0, 4);
        var first = await leader.WaitAsync(TestSupport.HangGuard);
        Assert.Equal([0, 1, 2, 3], Items(first));
        Assert.Equal(0, first.Number);
        Assert.True(first.KeepsLead);

        await Write(link, 4, 4);
        var second = await dispatcher.TakeAsync(finishedOne: true, keepsLead: true, CancellationToken.None).AsTask().WaitAsync(TestSupport.HangGuard);
        Assert.Equal([4, 5, 6, 7], Items(second));
        Assert.Equal(1, second.Number);
        Assert.True(second.KeepsLead);

        // Neither batch was split or handed to the parked worker, and it was not woken to lead.
        Assert.False(follower.IsCompleted);

        link.Writer.Complete();
        var end = await dispatcher.TakeAsync(finishedOne: true, keepsLead: true, CancellationToken.None).AsTask().WaitAsync(TestSupport.HangGuard);
        Assert.False(end.Ok);
        Assert.False((await follower.WaitAsync(TestSupport.HangGuard)).Ok);
    }

    [Fact]
    public async Task When_the_work_grows_the_next_batch_is_split_to_the_parked_worker_and_numbering_goes_on()
    {
        var (link, dispatcher) = Create();
        var leader = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        var follower = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        dispatcher.Report(Tiny, 4);
        await Write(link, 0, 4);
        var fused = await leader.WaitAsync(TestSupport.HangGuard);
        Assert.True(fused.KeepsLead);
        Assert.False(follower.IsCompleted);

        // The fused chunk turned out slow: the next batch is shared with the parked worker.
        dispatcher.Report(Large, 4);
        await Write(link, 4, 4);
        var mine = await dispatcher.TakeAsync(finishedOne: true, keepsLead: true, CancellationToken.None).AsTask().WaitAsync(TestSupport.HangGuard);
        var handed = await follower.WaitAsync(TestSupport.HangGuard);
        Assert.False(mine.KeepsLead);
        Assert.Equal([4, 5], Items(mine));
        Assert.Equal(1, mine.Number);
        Assert.Equal([6, 7], Items(handed));
        Assert.Equal(2, handed.Number);

        link.Writer.Complete();
        Assert.False((await dispatcher.TakeAsync(finishedOne: true, keepsLead: false, CancellationToken.None).AsTask().WaitAsync(TestSupport.HangGuard)).Ok);
        Assert.False((await dispatcher.TakeAsync(finishedOne: true, keepsLead: false, CancellationToken.None).AsTask().WaitAsync(TestSupport.HangGuard)).Ok);
    }

    [Fact]
    public async Task A_leader_that_kept_the_lead_continues_on_buffered_batches_only_while_the_work_stays_tiny()
    {
        var (link, dispatcher) = Create();
        Assert.False(dispatcher.TryContinue(out _)); // nothing measured yet
        var leader = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        var follower = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        dispatcher.Report(Tiny, 4);
        await Write(link, 0, 4);
        Assert.True((await leader.WaitAsync(TestSupport.HangGuard)).KeepsLead);

        Assert.False(dispatcher.TryContinue(out _)); // the input is empty
        await Write(link, 4, 4);
        await Write(link, 8, 4);
        Assert.True(dispatcher.TryContinue(out var next));
        Assert.Equal([4, 5, 6, 7], Items(next));
        Assert.Equal(1, next.Number);
        Assert.True(next.KeepsLead);

        // The work grew: the buffered batch is left for TakeAsync, which shares it with the parked worker.
        dispatcher.Report(Large, 4);
        Assert.False(dispatcher.TryContinue(out _));
        var mine = await dispatcher.TakeAsync(finishedOne: true, keepsLead: true, CancellationToken.None).AsTask().WaitAsync(TestSupport.HangGuard);
        var handed = await follower.WaitAsync(TestSupport.HangGuard);
        Assert.Equal([8, 9], Items(mine));
        Assert.Equal(2, mine.Number);
        Assert.Equal([10, 11], Items(handed));
        Assert.Equal(3, handed.Number);
    }

    [Fact]
    public async Task Before_any_work_is_measured_the_first_batch_is_split()
    {
        var (link, dispatcher) = Create();
        var leader = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        var follower = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        await Write(link, 0, 4);

        var mine = await leader.WaitAsync(TestSupport.HangGuard);
        var handed = await follower.WaitAsync(TestSupport.HangGuard);
        Assert.Equal([0, 1], Items(mine));
        Assert.Equal([2, 3], Items(handed));
    }

    [Fact]
    public async Task A_batch_with_more_work_than_a_paced_transfer_is_split_into_chunks_of_about_that_work_taken_in_turn()
    {
        // 8 items of 0.3 ms: 2.4 ms of work, 2.4 paced transfers (1 ms), so three chunks for two workers.
        // The leader takes the first, the next taker the second at once, numbering in input order.
        Assert.Equal(Stopwatch.Frequency / 1_000, Outbox<int>.TargetTicks);
        var (link, dispatcher) = Create();
        dispatcher.Report(Outbox<int>.TargetTicks * 3 / 10 * 4, 4);
        var leader = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        await Write(link, 0, 8);

        var first = await leader.WaitAsync(TestSupport.HangGuard);
        var second = await dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask().WaitAsync(TestSupport.HangGuard);
        var third = await dispatcher.TakeAsync(finishedOne: true, keepsLead: false, CancellationToken.None).AsTask().WaitAsync(TestSupport.HangGuard);
        Assert.Equal([0, 1, 2], Items(first));
        Assert.Equal([3, 4, 5], Items(second));
        Assert.Equal([6, 7], Items(third));
        Assert.Equal([0L, 1L, 2L], [first.Number, second.Number, third.Number]);
        Assert.False(first.KeepsLead || second.KeepsLead || third.KeepsLead);
    }

    [Fact]
    public async Task A_worker_parked_behind_a_fused_leader_is_cancelled_by_the_token()
    {
        var (link, dispatcher) = Create();
        using var cts = new CancellationTokenSource();
        var leader = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, cts.Token).AsTask();
        var follower = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, cts.Token).AsTask();
        dispatcher.Report(Tiny, 4);
        await Write(link, 0, 4);
        Assert.True((await leader.WaitAsync(TestSupport.HangGuard)).KeepsLead);

        // The leader now waits on the empty input, the follower behind it; the stop reaches both.
        var leading = dispatcher.TakeAsync(finishedOne: true, keepsLead: true, cts.Token).AsTask();
        Assert.False(leading.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leading.WaitAsync(TestSupport.HangGuard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => follower.WaitAsync(TestSupport.HangGuard));
    }

    [Fact]
    public async Task A_dispatcher_that_may_not_fuse_shares_tiny_work_too()
    {
        var link = new Link<int>(LinkSpec.For(capacity: 64, batch: 4, singleReader: false), singleWriter: true);
        var dispatcher = new Dispatcher<int>(link, workers: 2, mayFuse: false);
        var leader = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        var follower = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        dispatcher.Report(Tiny, 4);
        await Write(link, 0, 4);

        var mine = await leader.WaitAsync(TestSupport.HangGuard);
        var handed = await follower.WaitAsync(TestSupport.HangGuard);
        Assert.False(mine.KeepsLead);
        Assert.Equal([0, 1], Items(mine));
        Assert.Equal([2, 3], Items(handed));
        Assert.False(dispatcher.TryContinue(out _));
    }

    [Fact]
    public async Task An_async_map_never_fuses_so_a_pending_call_does_not_hold_up_the_input()
    {
        // 2,000 calls complete at once (tiny work, which would fuse a synchronous map); call 2,000 then
        // waits until call 2,001 has run, which only another worker can do while 2,000 is pending.
        var unblock = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var results = await Pipeline.From(Enumerable.Range(0, 3000), new PipelineOptions { TransferBatchSize = 1 })
            .Map(async (x, ct) =>
            {
                if (x == 2000)
                {
                    await unblock.Task.WaitAsync(ct);
                }
                else if (x == 2001)
                {
                    unblock.TrySetResult();
                }

                return x;
            }, new StageOptions { Workers = 2 })
            .CollectAsync()
            .WaitAsync(TestSupport.HangGuard);

        Assert.Equal(Enumerable.Range(0, 3000), results);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Tiny_work_on_two_workers_delivers_every_item_once_and_in_order_when_ordered(bool ordered)
    {
        // An end-to-end check of the fused path: with trivial work the stage fuses after its first
        // chunks, whatever the machine; the output is complete, and in input order when ordered.
        var results = await Pipeline.From(Enumerable.Range(0, 100_000))
            .Map(x => x + 1, new StageOptions { Workers = 2, Ordered = ordered, Capacity = 256 })
            .CollectAsync();

        var expected = Enumerable.Range(1, 100_000);
        Assert.Equal(expected, ordered ? results : results.Order());
    }

    private static (Link<int> Link, Dispatcher<int> Dispatcher) Create()
    {
        var link = new Link<int>(LinkSpec.For(capacity: 64, batch: 4, singleReader: false), singleWriter: true);
        return (link, new Dispatcher<int>(link, workers: 2));
    }

    private static async Task Write(Link<int> link, int first, int count)
    {
        var items = Segment<int>.Rent(count);
        for (var i = 0; i < count; i++)
        {
            items[i] = first + i;
        }

        link.Enqueued(count);
        await link.WriteAsync(new Segment<int>(items, count), CancellationToken.None);
    }

    private static int[] Items(Dispatcher<int>.Chunk chunk) => chunk.Segment.Items.AsSpan(0, chunk.Segment.Count).ToArray();
}
