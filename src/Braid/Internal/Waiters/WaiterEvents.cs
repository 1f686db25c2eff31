using Braid.Instrumentation;

namespace Braid.Internal.Waiters;

/// <summary>Raises the waiter instrumentation events, only when someone listens.</summary>
internal static class WaiterEvents
{
    /// <summary>
    /// The current flow queued <paramref name="waiter"/> on the primitive <paramref name="sourceId"/>; while a
    /// task tree session runs, the current child is recorded as waiting on it.
    /// </summary>
    public static void Queued<T>(long sourceId, string name, Waiter<T> waiter)
    {
        if (BraidInstrumentation.IsEnabled)
        {
            TaskRegistry.Waiting(waiter, name, sourceId); // first: a listener told of the wait finds it recorded
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.WaiterQueued, sourceId, name));
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
