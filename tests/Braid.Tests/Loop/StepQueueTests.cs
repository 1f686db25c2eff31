using Braid.Loop;

namespace Braid.Tests.Loop;

public sealed class StepQueueTests
{
    private static readonly SendOrPostCallback Step = static _ => { };

    [Fact]
    public void Steps_leave_in_post_order_across_segments_and_swaps()
    {
        var queue = new StepQueue();
        var taken = new List<int>();
        var next = 0;
        Post(queue, ref next, 5000); // several segments
        Assert.True(queue.SwapLocked());
        Take(queue, taken, 2500);
        Post(queue, ref next, 3000); // while the pump is half-way: goes to the posting chain
        Assert.Equal(3000, queue.PostedCount);
        Assert.Equal(2500, queue.RunnableCount);
        Take(queue, taken, 2500);
        Assert.False(queue.TryTakeRunnable(out _));
        Assert.True(queue.SwapLocked());
        Take(queue, taken, 3000);
        Assert.False(queue.TryTakeRunnable(out _));
        Assert.False(queue.SwapLocked());
        Assert.Equal(Enumerable.Range(0, 8000), taken);
    }

    [Fact]
    public void Drain_returns_what_was_left_to_run_then_what_was_posted()
    {
        var queue = new StepQueue();
        var next = 0;
        Post(queue, ref next, 100);
        Assert.True(queue.SwapLocked());
        Take(queue, [], 40);
        Post(queue, ref next, 70);
        var left = queue.DrainLocked();
        Assert.Equal(Enumerable.Range(40, 130), left!.Select(w => (int)w.State!));
        Assert.Equal(0, queue.PostedCount);
        Assert.Equal(0, queue.RunnableCount);
        Assert.Null(queue.DrainLocked());
    }

    [Fact]
    public void A_burst_the_loop_has_seen_before_posts_without_allocating()
    {
        var queue = new StepQueue();
        var states = Enumerable.Range(0, 20_000).Select(i => (object)i).ToArray();
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var state in states)
            {
                queue.AddLocked(Step, state);
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (round > 0)
            {
                Assert.Equal(0, allocated);
            }

            Assert.True(queue.SwapLocked());
            while (queue.TryTakeRunnable(out _))
            {
            }

            Assert.False(queue.SwapLocked()); // what the pump does when it runs dry: the segments go back
        }
    }

    private static void Post(StepQueue queue, ref int next, int count)
    {
        for (var i = 0; i < count; i++)
        {
            queue.AddLocked(Step, next++);
        }
    }

    private static void Take(StepQueue queue, List<int> taken, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(queue.TryTakeRunnable(out var item));
            taken.Add((int)item.State!);
        }
    }
}
