namespace Braid.Instrumentation;

/// <summary>
/// The instrumentation hook of Braid's core. Listeners subscribe to <see cref="BraidEvent"/>s; when
/// nobody listens, raising an event costs one volatile read and allocates nothing.
/// </summary>
/// <remarks>
/// Listeners are called synchronously on the thread that raised the event, possibly while a
/// primitive's internal state is being updated: a listener must be fast, must not throw and must not
/// call back into the object that raised the event. An exception thrown by a listener is caught and
/// discarded so that instrumentation can never change the behaviour of the code it observes.
/// </remarks>
public static class BraidInstrumentation
{
    private static readonly object Gate = new();
    private static volatile Action<BraidEvent>[]? s_listeners;

    /// <summary>Whether at least one listener is subscribed. Check it before building an event.</summary>
    public static bool IsEnabled => s_listeners is not null;

    /// <summary>Subscribes a listener; dispose the result to unsubscribe. Completes synchronously.</summary>
    /// <param name="listener">Called for every event raised while subscribed.</param>
    /// <returns>A handle whose disposal removes the listener.</returns>
    public static IDisposable Subscribe(Action<BraidEvent> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (Gate)
        {
            var current = s_listeners ?? [];
            s_listeners = [.. current, listener];
        }

        return new Subscription(listener);
    }

    /// <summary>Raises an event to every listener. Internal: only Braid's own types raise events.</summary>
    internal static void Raise(in BraidEvent braidEvent)
    {
        var listeners = s_listeners;
        if (listeners is null)
        {
            return;
        }

        foreach (var listener in listeners)
        {
            try
            {
                listener(braidEvent);
            }
#pragma warning disable CA1031 // A listener must never change the behaviour of the code it observes.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    private static void Unsubscribe(Action<BraidEvent> listener)
    {
        lock (Gate)
        {
            var current = s_listeners;
            if (current is null)
            {
                return;
            }

            var index = Array.IndexOf(current, listener);
            if (index < 0)
            {
                return;
            }

            s_listeners = current.Length == 1 ? null : [.. current[..index], .. current[(index + 1)..]];
        }
    }

    private sealed class Subscription(Action<BraidEvent> listener) : IDisposable
    {
        private Action<BraidEvent>? _listener = listener;

        public void Dispose()
        {
            var listener = Interlocked.Exchange(ref _listener, null);
            if (listener is not null)
            {
                Unsubscribe(listener);
            }
        }
    }
}
