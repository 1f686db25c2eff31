using Braid.Pipelines.Engine;

namespace Braid.Pipelines.Tests;

/// <summary>
/// How stages hand batches to each other (issue 11): a writer blocked on a full link is woken with
/// hysteresis, the workers of an ordered stage do not wait for each other in lock step, and a stage
/// with several workers shares a batch only when its work is worth a wake-up.
/// </summary>
public sealed class HandOffTests
{
    [Fact]
    public async Task A_writer_blocked_on_a_full_link_waits_until_half_of_it_has_drained()
    {
        // Four transfers of one item; the low-water mark is two.
        var link = new Link<int>(LinkSpec.For(capacity: 4, batch: 1, singleReader: true), singleWriter: true);
        Assert.Equal(2, link.Spec.LowWater);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(link.WriteAsync(One(i), CancellationToken.None).AsTask().IsCompletedSuccessfully);
        }

        var blocked = link.WriteAsync(One(4), CancellationToken.None).AsTask();
        Assert.False(blocked.IsCompleted);

        Take(link, expected: 0);
        Assert.False(blocked.IsCompleted); // one free slot does not wake the writer

        Take(link, expected: 1);
        await blocked.WaitAsync(TestSupport.HangGuard); // two buffered: the writer is woken and writes

        Assert.Equal(3, link.Reader.Count);
        for (var i = 2; i <= 4; i++)
        {
            Take(link, expected: i);
        }
    }

    [Fact]
    public async Task A_writer_cancelled_while_it_waits_for_room_writes_nothing()
    {
        var link = new Link<int>(LinkSpec.For(capacity: 2, batch: 1, singleReader: true), singleWriter: true);
        await link.WriteAsync(One(0), CancellationToken.None);
        await link.WriteAsync(One(1), CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var blocked = link.WriteAsync(One(2), cts.Token).AsTask();
        Assert.False(blocked.IsCompleted);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked.WaitAsync(TestSupport.HangGuard));

        Take(link, expected: 0);
        Take(link, expected: 1);
        Assert.False(link.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_worker_that_finishes_out_of_turn_takes_new_input_while_the_turn_holder_works()
    {
        // One item per transfer, so each chunk is one item. Item 0 is held; the other worker finishes
        // item 1 out of turn, deposits it and goes on to item 2 — before item 0 is released. (Workers
        // that waited for their turn in lock step never started item 2 until item 0 was done.)
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new PipelineOptions { TransferBatchSize = 1 };
        var run = Pipeline.From(Enumerable.Range(0, 200), options)
            .Map(async (x, ct) =>
            {
                if (x == 0)
                {
                    await release.Task.WaitAsync(ct);
                }
                else if (x == 2)
                {
                    secondStarted.TrySetResult();
                }

                return x;
            }, new StageOptions { Workers = 2 })
            .CollectAsync();

        await secondStarted.Task.WaitAsync(TestSupport.HangGuard);
        Assert.False(run.IsCompleted);
        release.SetResult();

        Assert.Equal(Enumerable.Range(0, 200), await run.WaitAsync(TestSupport.HangGuard));
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 5)]
    [InlineData(4, 64)]
    public async Task Deposited_outputs_keep_input_order_through_filters_and_maps(int workers, int batch)
    {
        // Chunks finish in a scrambled order (some yield, some do not); filters deposit empty and
        // partial outputs. Everything still arrives once, in input order.
        var options = new PipelineOptions { TransferBatchSize = batch };
        var stage = new StageOptions { Workers = workers, Capacity = 8 };
        var results = await Pipeline.From(Enumerable.Range(0, 5000), options)
            .Map(async (x, ct) =>
            {
                if (x * 7919 % 5 == 0)
                {
                    await Task.Yield();
                }

                return x;
            }, stage)
            .Filter(x => x % 3 != 0, stage)
            .Map(x => x * 2, stage)
            .CollectAsync();

        Assert.Equal(Enumerable.Range(0, 5000).Where(x => x % 3 != 0).Select(x => x * 2), results);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_batch_is_split_over_idle_workers_unless_its_work_is_too_small_to_share(bool tiny)
    {
        var link = new Link<int>(LinkSpec.For(capacity: 64, batch: 4, singleReader: true), singleWriter: true);
        var dispatcher = new Dispatcher<int>(link, workers: 2);
        if (tiny)
        {
            dispatcher.Report(ticks: 4, items: 4); // far below a hand-off's worth
        }
        else
        {
            dispatcher.Report(ticks: Dispatcher<int>.MinChunkTicks * 4, items: 4);
        }

        // Both workers idle: the first leads and waits on the empty input, the second waits to be handed a chunk.
        var first = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        var second = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        await link.WriteAsync(Items(0, 4), CancellationToken.None);
        var a = await first.WaitAsync(TestSupport.HangGuard);
        if (tiny)
        {
            // One chunk of the whole batch; the leader keeps the lead (its input is dry), the other sleeps on.
            Assert.Equal(4, a.Segment.Count);
            Assert.True(a.KeepsLead);
            Assert.False(second.IsCompleted);
        }
        else
        {
            var b = await second.WaitAsync(TestSupport.HangGuard);
            Assert.Equal((2, 2), (a.Segment.Count, b.Segment.Count));
            Assert.Equal((0L, 1L), (a.Number, b.Number));
            Assert.False(a.KeepsLead);
        }
    }

    [Fact]
    public async Task A_leader_that_kept_the_lead_passes_it_on_when_the_input_backs_up()
    {
        var link = new Link<int>(LinkSpec.For(capacity: 64, batch: 4, singleReader: true), singleWriter: true);
        var dispatcher = new Dispatcher<int>(link, workers: 2);
        dispatcher.Report(ticks: 4, items: 4);
        await link.WriteAsync(Items(0, 4), CancellationToken.None);
        var a = await dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None);
        Assert.True(a.KeepsLead);
        var follower = dispatcher.TakeAsync(finishedOne: false, keepsLead: false, CancellationToken.None).AsTask();

        // The stage fell behind: two batches wait. The leader takes one and wakes the follower for the other.
        await link.WriteAsync(Items(4, 4), CancellationToken.None);
        await link.WriteAsync(Items(8, 4), CancellationToken.None);
        var next = await dispatcher.TakeAsync(finishedOne: true, keepsLead: true, CancellationToken.None);
        Assert.False(next.KeepsLead);
        Assert.Equal((4, 1L), (next.Segment.Items[0], next.Number));

        var handed = await follower.WaitAsync(TestSupport.HangGuard);
        Assert.Equal((8, 2L), (handed.Segment.Items[0], handed.Number));
    }

    private static Segment<int> Items(int start, int count)
    {
        var items = Segment<int>.Rent(count);
        for (var i = 0; i < count; i++)
        {
            items[i] = start + i;
        }

        return new Segment<int>(items, count);
    }

    private static Segment<int> One(int value)
    {
        var items = Segment<int>.Rent(1);
        items[0] = value;
        return new Segment<int>(items, 1);
    }

    private static void Take(Link<int> link, int expected)
    {
        Assert.True(link.Reader.TryRead(out var segment));
        link.Dequeued(segment.Count);
        Assert.Equal(expected, segment.Items[0]);
    }
}
