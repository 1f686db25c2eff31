using Braid.Channels;

namespace Braid.Tests.Channels;

/// <summary>What only one variant promises: the priority order, its stability, a custom comparer; escalation of shutdown.</summary>
public sealed class QueueOrderTests
{
    [Fact]
    public void Equal_priorities_leave_in_put_order()
    {
        var q = new AsyncPriorityQueue<string, int>();
        foreach (var (element, priority) in new[] { ("b1", 2), ("a1", 1), ("b2", 2), ("a2", 1), ("c", 3), ("b3", 2) })
        {
            Assert.True(q.TryPut(element, priority));
        }

        var order = new List<string>();
        while (q.TryGet(out var element))
        {
            order.Add(element);
        }

        Assert.Equal(["a1", "a2", "b1", "b2", "b3", "c"], order);
    }

    [Fact]
    public void A_custom_comparer_decides_the_priority_order()
    {
        var q = new AsyncPriorityQueue<string, int>(Comparer<int>.Create((a, b) => b.CompareTo(a)));
        Assert.True(q.TryPut("low", 1));
        Assert.True(q.TryPut("high", 9));
        Assert.True(q.TryGet(out var first));
        Assert.Equal("high", first);
    }

    [Fact]
    public void Immediate_shutdown_of_a_priority_queue_returns_the_elements_in_priority_order()
    {
        var q = new AsyncPriorityQueue<string, int>(capacity: 8);
        Assert.True(q.TryPut("later", 5));
        Assert.True(q.TryPut("first", 0));
        Assert.Equal(["first", "later"], q.Shutdown(immediate: true));
    }

    [Fact]
    public async Task A_graceful_shutdown_can_be_escalated_to_an_immediate_one()
    {
        var q = new AsyncQueue<int>();
        Assert.True(q.TryPut(1));
        Assert.True(q.TryPut(2));
        Assert.Empty(q.Shutdown());
        Assert.Equal(2, q.Count);

        Assert.Equal([1, 2], q.Shutdown(immediate: true));
        Assert.Equal(0, q.Count);
        await q.JoinAsync().Within();
    }

    [Fact]
    public void Capacities_below_one_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncQueue<int>(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncLifoQueue<int>(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AsyncPriorityQueue<int, int>(0));
    }

    [Fact]
    public void Debugger_display_summarises_the_state()
    {
        var q = new AsyncQueue<int>(4);
        Assert.True(q.TryPut(1));
        var display = typeof(AsyncQueue<int>).GetProperty("DebuggerDisplay", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(q);
        Assert.Equal($"AsyncQueue #{q.Id}: 1/4, unfinished 1, getters 0, putters 0", display);
    }
}
