using System.Diagnostics;
using Braid.Pipelines.Engine;

namespace Braid.Pipelines.Tests;

/// <summary>
/// Paced transfers (issue 11, rule 65): a synchronous source and a stage's only worker send about 1 ms
/// of measured work per transfer, between 16 items and the segment size, so tiny work moves in large
/// segments (the transfer's fixed cost amortised) and slow work leaves in small ones, soon.
/// </summary>
public sealed class PacingTests
{
    private static long Target => Outbox<int>.TargetTicks;

    [Fact]
    public void A_paced_outbox_starts_at_sixteen_items_and_sizes_each_next_transfer_to_the_work_measured()
    {
        var outbox = Create(segmentSize: 256, paced: true);
        Assert.Equal(Stopwatch.Frequency / 1_000, Target);
        Assert.Equal(16, outbox.Limit);

        // 16 items in a hundredth of the target: tiny work, the whole segment (1,600 items capped at 256).
        Fill(outbox, 16);
        outbox.Pace(Target / 100);
        Assert.Equal(256, outbox.Limit);

        // 100 items in twice the target: 50 items a transfer.
        Fill(outbox, 100);
        outbox.Pace(2 * Target);
        Assert.Equal(50, outbox.Limit);

        // Slow items never shrink a transfer below 16 items; nothing added leaves the limit alone.
        Fill(outbox, 3);
        outbox.Pace(100 * Target);
        Assert.Equal(16, outbox.Limit);
        outbox.Pace(Target);
        Assert.Equal(16, outbox.Limit);

        // Add reports full at the limit.
        outbox.Take().Return();
        Assert.False(Fill(outbox, 15));
        Assert.True(outbox.Add(15));
    }

    [Fact]
    public void An_outbox_that_is_not_paced_fills_whole_segments_and_a_small_segment_is_kept_exactly()
    {
        var unpaced = Create(segmentSize: 256, paced: false);
        Assert.Equal(256, unpaced.Limit);
        Fill(unpaced, 10);
        unpaced.Pace(100 * Target);
        Assert.Equal(256, unpaced.Limit);

        var small = Create(segmentSize: 4, paced: true);
        Assert.Equal(4, small.Limit);
        Fill(small, 4);
        small.Pace(100 * Target);
        Assert.Equal(4, small.Limit);
    }

    [Fact]
    public async Task The_first_results_of_a_stage_leave_after_sixteen_items_even_when_the_segment_is_larger()
    {
        // The source (asynchronous, so not paced) sends all 100 items in one segment; item 40 waits until
        // the consumer has the first result. Without pacing the stage's only worker would hold items 0-39
        // in its outbox (a segment of 256) until item 40 returned: a deadlock.
        using var firstArrived = new ManualResetEventSlim();
        var results = new List<int>();
        await Pipeline.From(ItemsAsync(100))
            .Map(x =>
            {
                if (x == 40 && !firstArrived.Wait(TestSupport.HangGuard))
                {
                    throw new TimeoutException("item 40 waited for the first result, which never left the stage");
                }

                return x;
            })
            .RunAsync(x =>
            {
                results.Add(x);
                firstArrived.Set();
            })
            .WaitAsync(TestSupport.HangGuard);

        Assert.Equal(Enumerable.Range(0, 100), results);
    }

    /// <summary>An asynchronous source whose items are all ready at once.</summary>
    private static async IAsyncEnumerable<int> ItemsAsync(int count)
    {
        await Task.CompletedTask;
        for (var i = 0; i < count; i++)
        {
            yield return i;
        }
    }

    private static Outbox<int> Create(int segmentSize, bool paced)
    {
        var link = new Link<int>(LinkSpec.For(capacity: segmentSize * 4, batch: segmentSize, singleReader: true), singleWriter: true);
        return new Outbox<int>(link, new StageCounters("test", 1, null, "pacing"), paced);
    }

    /// <summary>Adds <paramref name="count"/> items; answers whether the last add reported the outbox full.</summary>
    private static bool Fill(Outbox<int> outbox, int count)
    {
        var full = false;
        for (var i = 0; i < count; i++)
        {
            full = outbox.Add(i);
        }

        return full;
    }
}
