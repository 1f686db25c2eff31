using Braid.Time;

namespace Braid.Tests.Time;

public sealed class TimerQueueTests
{
    [Fact]
    public void Entries_leave_by_due_time_then_by_sequence_whatever_order_they_were_added_in()
    {
        var queue = new TimerQueue();
        var entries = Enumerable.Range(0, 6).Select(i => new TestEntry(i)).ToArray();
        queue.Add(entries[3], due: 20, sequence: 3);
        queue.Add(entries[5], due: 10, sequence: 5);
        queue.Add(entries[1], due: 10, sequence: 1); // older sequence, added later: goes before 5
        queue.Add(entries[4], due: 10, sequence: 4);
        queue.Add(entries[0], due: 20, sequence: 0);
        queue.Add(entries[2], due: 5, sequence: 2);
        queue.Remove(entries[4]); // from the middle of a bucket

        Assert.Equal([(2, 5L), (1, 10L), (5, 10L), (0, 20L), (3, 20L)], DrainAll(queue));
        Assert.Equal(0, queue.Count);
        Assert.All(entries, e => Assert.False(e.IsQueued));
    }

    [Fact]
    public void Removing_the_last_entry_of_an_instant_and_rearming_there_starts_a_fresh_bucket()
    {
        var queue = new TimerQueue();
        var a = new TestEntry(0);
        var b = new TestEntry(1);
        queue.Add(a, due: 7, sequence: 1);
        queue.Remove(a);
        queue.Add(b, due: 7, sequence: 2);
        queue.Add(a, due: 7, sequence: 1);
        Assert.Equal([(0, 7L), (1, 7L)], DrainAll(queue));
    }

    [Fact]
    public void Emptied_buckets_do_not_pile_up_ahead_of_the_clock()
    {
        // Timeouts armed far ahead and cancelled: without compaction every emptied bucket would stay
        // in the priority queue until time reached it.
        var queue = new TimerQueue();
        var entries = Enumerable.Range(0, 1000).Select(i => new TestEntry(i)).ToArray();
        for (var i = 0; i < entries.Length; i++)
        {
            queue.Add(entries[i], due: 1_000_000 + i, sequence: i);
        }

        for (var i = 0; i < entries.Length; i++)
        {
            if (i % 100 != 0)
            {
                queue.Remove(entries[i]);
            }
        }

        Assert.Equal(10, queue.Count);
        Assert.True(queue.QueuedBucketCount <= 10 + 65, $"{queue.QueuedBucketCount} buckets queued for 10 live ones");
        Assert.Equal(Enumerable.Range(0, 10).Select(k => (k * 100, 1_000_000L + (k * 100))), DrainAll(queue));
    }

    private static List<(int Id, long Due)> DrainAll(TimerQueue queue)
    {
        var order = new List<(int, long)>();
        while (queue.TryPeek(out var entry, out var due))
        {
            queue.Remove(entry!);
            order.Add((((TestEntry)entry!).Id, due));
        }

        return order;
    }

    private sealed class TestEntry(int id) : TimerQueue.Entry
    {
        public int Id { get; } = id;
    }
}
