using System.Runtime.CompilerServices;
namespace Braid.Instrumentation;

/// <summary>
/// The one flag the core checks before raising an event (docs/design.md rule 124), and what it is made of:
/// the subscribed listeners, the <c>Braid</c> event source, the <c>Braid</c> meter, a task tree session and child activities.
/// </summary>
/// <remarks>
/// This type holds state only and its static initialisation takes no lock, so the event source's
/// <c>OnEventCommand</c> (which runs under the runtime's listener lock, maybe on another thread while
/// <see cref="BraidInstrumentation"/>'s static constructor is creating that source) can always reach it.
/// </remarks>
internal static class InstrumentationSwitch
{
    /// <summary>Guards every write below.</summary>
    public static readonly Lock Gate = new();

    private static volatile bool s_enabled;
    private static volatile Action<BraidEvent>[]? s_listeners;
    private static volatile bool s_eventSource;
    private static volatile bool s_metrics;
    private static volatile bool s_registry;
    private static volatile bool s_activities;

    /// <summary>Whether anyone listens: one volatile read.</summary>
    public static bool Enabled
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => s_enabled;
    }

    /// <summary>The subscribed listeners, or <see langword="null"/> when there are none.</summary>
    public static Action<BraidEvent>[]? Listeners => s_listeners;

    /// <summary>Whether an EventListener or EventPipe session has the <c>Braid</c> event source enabled.</summary>
    public static bool EventSource => s_eventSource;

    /// <summary>Whether a collector has observed the <c>Braid</c> meter's instruments and still listens.</summary>
    public static bool Metrics => s_metrics;

    /// <summary>Replaces the listeners. The caller holds <see cref="Gate"/>.</summary>
    public static void SetListeners(Action<BraidEvent>[]? listeners)
    {
        s_listeners = listeners;
        Update();
    }

    /// <summary>Records whether the event source is enabled (from its <c>OnEventCommand</c>).</summary>
    public static void SetEventSource(bool enabled)
    {
        lock (Gate)
        {
            s_eventSource = enabled;
            Update();
        }
    }

    /// <summary>Records whether the meter is observed.</summary>
    public static void SetMetrics(bool enabled)
    {
        lock (Gate)
        {
            s_metrics = enabled;
            Update();
        }
    }

    /// <summary>Records whether a task tree session runs (the core records live groups, children and holders).</summary>
    /// <remarks>The caller holds <see cref="Gate"/>.</remarks>
    public static void SetRegistry(bool enabled)
    {
        s_registry = enabled;
        Update();
    }

    /// <summary>Records whether children are turned into activities (<see cref="TaskGroupActivities.Enable"/>).</summary>
    /// <remarks>The caller holds <see cref="Gate"/>.</remarks>
    public static void SetActivities(bool enabled)
    {
        s_activities = enabled;
        Update();
    }

    private static void Update() => s_enabled = s_listeners is not null || s_eventSource || s_metrics || s_registry || s_activities;
}
