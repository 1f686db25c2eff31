using Braid.Instrumentation;

namespace Braid.Internal.Waiters;

/// <summary>Raises the waiter instrumentation events, only when someone listens.</summary>
internal static class WaiterEvents
{
    /// <summary>
    /// The current flow queued <paramref name="waiter"/> on the primitive <paramref name="sourceId"/>; while a
    /// task tree session runs, the current child is recorded as waiting on it (<paramref name="primitive"/>
    /// tells its holder, if it tracks one).
    /// </summary>
    public static void Queued<T>(long sourceId, string name, Waiter<T> waiter, IHeldPrimitive? primitive = null)
    {
        if (BraidInstrumentation.IsEnabled)
        {
            TaskRegistry.Waiting(waiter, name, sourceId, primitive); // first: a listener told of the wait finds it recorded
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.WaiterQueued, sourceId, name));
        }
    }

    /// <summary>
    /// A lock was handed to the queued <paramref name="waiter"/>; while a task tree session runs,
    /// <paramref name="holder"/> becomes the child that queued it. Call before completing the waiter.
    /// </summary>
    public static void Handed<T>(long sourceId, string name, Waiter<T> waiter, ref ChildRecord? holder)
    {
        if (BraidInstrumentation.IsEnabled)
        {
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.WaiterReleased, sourceId, name));
            holder = waiter.WaitingChild;
        }
    }

    /// <summary><paramref name="count"/> queued waiters were handed what they waited for.</summary>
    public static void Released(long sourceId, string name, int count = 1)
    {
        if (BraidInstrumentation.IsEnabled)
        {
            for (var i = 0; i < count; i++)
            {
                BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.WaiterReleased, sourceId, name));
            }
        }
    }

    /// <summary><paramref name="count"/> queued waiters were cancelled and left without taking anything.</summary>
    public static void Cancelled(long sourceId, string name, int count = 1)
    {
        if (BraidInstrumentation.IsEnabled)
        {
            for (var i = 0; i < count; i++)
            {
                BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.WaiterCancelled, sourceId, name));
            }
        }
    }
}
