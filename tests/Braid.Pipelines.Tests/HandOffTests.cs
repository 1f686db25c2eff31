using Braid.Pipelines.Engine;

namespace Braid.Pipelines.Tests;

/// <summary>
/// How stages hand batches to each other (issue 11): a writer blocked on a full link is woken with
/// hysteresis, and the workers of an ordered stage do not wait for each other in lock step.
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

        Assert.Equal(3, link.Buffered);
        for (var i = 2; i <= 4; i++)
        {
            Take(link, expected: i);
        }
    }

    [Fact]
    public async Task A_link_is_bounded_in_items_so_partial_transfers_do_not_shrink_it()
    {
        // Capacity 8 in transfers of up to 4: eight one-item transfers fit (a link of two 4-item slots
        // held two), the ninth waits; a 4-item transfer is admitted while fewer than 8 are buffered, so
        // the buffer holds at most 8 + 4 - 1 items.
        var link = new Link<int>(LinkSpec.For(capacity: 8, batch: 4, singleReader: true), singleWriter: true);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(link.WriteAsync(One(i), CancellationToken.None).AsTask().IsCompletedSuccessfully);
        }

        var blocked = link.WriteAsync(One(8), CancellationToken.None).AsTask();
        Assert.False(blocked.IsCompleted);
        for (var i = 0; i < 4; i++)
        {
            Take(link, expected: i);
        }

        await blocked.WaitAsync(TestSupport.HangGuard); // four buffered, the low-water mark: woken
        Assert.Equal(5, link.Buffered);

        var items = Segment<int>.Rent(4);
        Assert.True(link.WriteAsync(new Segment<int>(items, 4), CancellationToken.None).AsTask().IsCompletedSuccessfully);
        Assert.Equal(9, link.Buffered);
        using var cts = new CancellationTokenSource();
        var full = link.WriteAsync(One(9), cts.Token).AsTask(); // 9 >= 8: full
        Assert.False(full.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => full.WaitAsync(TestSupport.HangGuard));
        Assert.Equal(9, link.Buffered);
        Assert.Equal(8 + 4 - 1, link.Spec.MaxItems);
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
