using System.Runtime.CompilerServices;
namespace Braid.Instrumentation;

/// <summary>
/// The instrumentation hook of Braid's core. Listeners subscribe to <see cref="BraidEvent"/>s; the same
/// events feed the <c>Braid</c> <see cref="System.Diagnostics.Tracing.EventSource"/> (seen by
/// <c>dotnet-trace</c> and any EventPipe session or <see cref="System.Diagnostics.Tracing.EventListener"/>)
/// and the <c>Braid</c> <see cref="System.Diagnostics.Metrics.Meter"/> (seen by <c>dotnet-counters</c> and
/// OpenTelemetry). When nobody listens, raising an event costs one volatile read and allocates nothing.
/// </summary>
/// <remarks>
/// Listeners are called synchronously on the thread that raised the event, possibly while a
/// primitive's internal state is being updated: a listener must be fast, must not throw and must not
/// call back into the object that raised the event. An exception thrown by a listener is caught and
/// discarded so that instrumentation can never change the behaviour of the code it observes.
/// </remarks>
public static class BraidInstrumentation
{
    // Creates the event source and the meter on first use of the core, so that a session that names
    // them sees Braid with no code change. The switch they turn on lives in InstrumentationSwitch, which
    // the event source's commands can reach while this constructor is still running (rule 124).
#pragma warning disable CA1810 // Not a field initialisation: the providers register themselves with the runtime.
    static BraidInstrumentation()
#pragma warning restore CA1810
    {
        _ = BraidEventSource.Log;
        BraidMetrics.Start();
    }

    /// <summary>
    /// Whether anyone listens: a subscriber, a session on the <c>Braid</c> event source, or a collector
    /// of the <c>Braid</c> meter. Check it before building an event.
    /// </summary>
    public static bool IsEnabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => InstrumentationSwitch.Enabled;
    }

    /// <summary>Subscribes a listener; dispose the result to unsubscribe. Completes synchronously.</summary>
    /// <param name="listener">Called for every event raised while subscribed.</param>
    /// <returns>A handle whose disposal removes the listener.</returns>
    public static IDisposable Subscribe(Action<BraidEvent> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (InstrumentationSwitch.Gate)
        {
            var current = InstrumentationSwitch.Listeners ?? [];
            InstrumentationSwitch.SetListeners([.. current, listener]);
        }

        return new Subscription(listener);
    }

    /// <summary>Raises an event to every listener. Internal: only Braid's own types raise events.</summary>
    internal static void Raise(in BraidEvent braidEvent)
    {
        if (InstrumentationSwitch.Metrics)
        {
            BraidMetrics.Record(in braidEvent);
        }

        if (InstrumentationSwitch.EventSource)
        {
            BraidEventSource.Log.Write(in braidEvent);
        }

        var listeners = InstrumentationSwitch.Listeners;
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
        lock (InstrumentationSwitch.Gate)
        {
            var current = InstrumentationSwitch.Listeners;
            if (current is null)
            {
                return;
            }

            var index = Array.IndexOf(current, listener);
            if (index < 0)
            {
                return;
            }

            InstrumentationSwitch.SetListeners(current.Length == 1 ? null : [.. current[..index], .. current[(index + 1)..]]);
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
