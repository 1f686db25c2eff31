using System.Collections.Concurrent;
using System.Diagnostics;
using Braid.Structured;

namespace Braid.Instrumentation;

/// <summary>
/// Task-group children as <see cref="Activity"/>s on the <see cref="ActivitySource"/> named
/// <c>Braid</c>, opt-in: while <see cref="Enable"/>'s handle is held and an <see cref="ActivityListener"/>
/// (OpenTelemetry's <c>AddSource("Braid")</c>) listens to the source, each child runs inside an activity
/// of its own, started as the child starts and stopped as it finishes.
/// </summary>
/// <remarks>
/// <para>
/// <b>Effect on <see cref="Activity.Current"/>:</b> inside a child, <see cref="Activity.Current"/> is the
/// child's activity, whose parent is the activity that was current where the child was started (the
/// group's body or the starting child). Activities the child's code starts (an HTTP request's span)
/// become its children. Once the child's synchronous part returns, the starter's
/// <see cref="Activity.Current"/> is restored: starting a child never changes the caller's.
/// </para>
/// <para>
/// Tags: <c>braid.task_group.id</c>, <c>braid.task_group.name</c>; the status is
/// <see cref="ActivityStatusCode.Ok"/> for a child that ran to completion, <see cref="ActivityStatusCode.Error"/>
/// (with the exception's message) for one that faulted, and unset with the tag <c>braid.cancelled</c> for
/// one that was cancelled. Each child then costs an <see cref="Activity"/> and a dictionary entry
/// (bench/README.md has the figure); without <see cref="Enable"/> it costs nothing beyond the one
/// instrumentation flag (docs/design.md rule 124).
/// </para>
/// </remarks>
public static class TaskGroupActivities
{
    /// <summary>The name of the activity source: <c>Braid</c>.</summary>
    public const string SourceName = "Braid";

    private static readonly ActivitySource s_source = new(SourceName);
    private static readonly ConcurrentDictionary<Task, Activity> s_running = new();
    private static int s_enabled;

    /// <summary>Whether children are turned into activities now (enabled and listened to).</summary>
    public static bool IsActive => Volatile.Read(ref s_enabled) > 0 && s_source.HasListeners();

    /// <summary>
    /// Turns children into activities until the result is disposed. Handles nest: activities stop when
    /// the last is disposed. Completes synchronously.
    /// </summary>
    /// <returns>The handle.</returns>
    public static IDisposable Enable()
    {
        lock (InstrumentationSwitch.Gate)
        {
            s_enabled++;
            InstrumentationSwitch.SetActivities(true);
        }

        return new Handle();
    }

    /// <summary>Starts the child's activity (it becomes <see cref="Activity.Current"/>); null when off or nobody listens.</summary>
    internal static Activity? Starting(TaskGroup group, string? name, out Activity? previous)
    {
        previous = null;
        if (Volatile.Read(ref s_enabled) == 0 || !s_source.HasListeners())
        {
            return null;
        }

        previous = Activity.Current;
        var activity = s_source.StartActivity(name ?? "child", ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag("braid.task_group.id", group.Id);
            activity.SetTag("braid.task_group.name", group.Name);
        }

        return activity;
    }

    /// <summary>The child's synchronous part returned <paramref name="task"/>: the starter's current activity is restored.</summary>
    internal static void Running(Activity activity, Activity? previous, Task task)
    {
        Activity.Current = previous;
        if (task.IsCompleted)
        {
            Stop(activity, task);
            return;
        }

        s_running[task] = activity;
    }

    /// <summary>A child finished.</summary>
    internal static void Finished(Task task)
    {
        if (!s_running.IsEmpty && s_running.TryRemove(task, out var activity))
        {
            Stop(activity, task);
        }
    }

    private static void Stop(Activity activity, Task task)
    {
        if (task.IsFaulted)
        {
            activity.SetStatus(ActivityStatusCode.Error, task.Exception?.InnerException?.Message);
        }
        else if (task.IsCanceled)
        {
            activity.SetTag("braid.cancelled", true);
        }
        else
        {
            activity.SetStatus(ActivityStatusCode.Ok);
        }

        activity.Stop();
    }

    private sealed class Handle : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            lock (InstrumentationSwitch.Gate)
            {
                s_enabled--;
                InstrumentationSwitch.SetActivities(s_enabled > 0);
            }
        }
    }
}
