using Braid.Internal.Waiters;
using Braid.Structured;

namespace Braid.Instrumentation;

/// <summary>
/// The live task groups and children, their waits and the holders of locks, recorded only while a
/// <see cref="LiveTasks"/> session runs (docs/design.md rule 125). Every entry point is reached from
/// inside an existing <see cref="BraidInstrumentation.IsEnabled"/> check, and the switch includes the
/// session, so with no session the core pays nothing more than that one flag.
/// </summary>
internal static class TaskRegistry
{
    private static readonly AsyncLocal<ChildRecord?> s_current = new();
    private static volatile Session? s_session;
    private static long s_recorded;

    /// <summary>The running session, or <see langword="null"/>.</summary>
    public static Session? Active => s_session;

    /// <summary>Groups and children recorded since the process started, over all sessions.</summary>
    public static long Recorded => Interlocked.Read(ref s_recorded);

    /// <summary>The child whose code runs on this flow (recorded in the running session), or <see langword="null"/>.</summary>
    public static ChildRecord? Current => s_session is null ? null : s_current.Value;

    /// <summary>Starts a session; one at a time.</summary>
    public static Session Start(TimeProvider clock)
    {
        lock (InstrumentationSwitch.Gate)
        {
            if (s_session is not null)
            {
                throw new InvalidOperationException("A task tree session is already running: dispose it before starting another.");
            }

            var session = new Session(clock);
            s_session = session;
            InstrumentationSwitch.SetRegistry(true);
            return session;
        }
    }

    /// <summary>Ends <paramref name="session"/> if it is the running one.</summary>
    public static void Stop(Session session)
    {
        lock (InstrumentationSwitch.Gate)
        {
            if (ReferenceEquals(s_session, session))
            {
                s_session = null;
                InstrumentationSwitch.SetRegistry(false);
            }
        }
    }

    /// <summary>
    /// A group opened (from its constructor's instrumentation block). <paramref name="enclosing"/> is the
    /// ambient link it opened in: the group whose body or child opened it, or a scope.
    /// </summary>
    public static void GroupStarted(TaskGroup group, IAmbientScope? enclosing)
    {
        if (s_session is not { } session)
        {
            return;
        }

        var parentChild = s_current.Value;
        var parentGroup = enclosing as TaskGroup;

        // Opened in a group's body (not in one of its children): the group nests under that body.
        if (parentGroup is not null && parentChild is not null && ReferenceEquals(parentChild.Group, parentGroup))
        {
            parentGroup = null;
        }
        else if (parentGroup is not null)
        {
            parentChild = null;
        }

        session.Add(new GroupRecord(group, parentChild?.Session == session ? parentChild : null, parentGroup, session.Clock.GetTimestamp(), Braid.Loop.AsyncLoop.Current));
        Interlocked.Increment(ref s_recorded);
    }

    /// <summary>A group closed.</summary>
    public static void GroupFinished(TaskGroup group) => s_session?.RemoveGroup(group.Id);

    /// <summary>
    /// A child is about to run (from the group's admission, inside its instrumentation block): it becomes
    /// the current child on this flow until <see cref="ChildRunning"/>. Null when no session runs and no activity was started.
    /// </summary>
    public static ChildRecord? ChildStarting(TaskGroup group, string? name)
    {
        var activity = TaskGroupActivities.Starting(group, name, out var previousActivity);
        if (s_session is not { } session)
        {
            return activity is null ? null : new ChildRecord(null, 0, group, name, 0, null) { Activity = activity, PreviousActivity = previousActivity };
        }

        var record = new ChildRecord(session, session.NextChildId(), group, name, session.Clock.GetTimestamp(), s_current.Value)
        {
            Activity = activity,
            PreviousActivity = previousActivity,
        };
        s_current.Value = record;
        Interlocked.Increment(ref s_recorded);
        return record;
    }

    /// <summary>The child's synchronous part returned <paramref name="task"/>: its caller's flow is restored.</summary>
    public static void ChildRunning(ChildRecord record, Task task)
    {
        if (record.Activity is { } activity)
        {
            TaskGroupActivities.Running(activity, record.PreviousActivity, task);
        }

        if (record.Session is not { } session)
        {
            return;
        }

        s_current.Value = record.Previous;
        record.Task = task;
        if (!task.IsCompleted)
        {
            session.AddChild(task, record);
        }
    }

    /// <summary>A child finished.</summary>
    public static void ChildFinished(Task task)
    {
        s_session?.RemoveChild(task);
        TaskGroupActivities.Finished(task);
    }

    /// <summary>The current child queued <paramref name="waiter"/> on the primitive <paramref name="primitiveId"/>.</summary>
    public static void Waiting<T>(Waiter<T> waiter, string kind, long primitiveId)
    {
        if (s_session is null)
        {
            return;
        }

        var child = s_current.Value;
        waiter.WaitingChild = child;
        if (child is not null)
        {
            child.Wait = new WaitRecord<T>(waiter, kind, primitiveId);
        }
    }

    /// <summary>
    /// The current child (if recorded) started <paramref name="started"/> with <c>StartAsync</c> and gets
    /// <paramref name="signal"/>, which completes when the started child calls <c>Started</c>.
    /// </summary>
    public static void StartWaiting(ChildRecord started, Task signal)
    {
        if (started.Session is { } session && s_current.Value is { } caller && ReferenceEquals(caller.Session, session) && !signal.IsCompleted)
        {
            caller.Wait = new StartWaitRecord(started, signal);
        }
    }

    /// <summary>An event loop started running (from its run, inside the instrumentation check).</summary>
    public static void LoopStarted(Braid.Loop.AsyncLoop loop) => s_session?.AddLoop(loop);

    /// <summary>An event loop finished.</summary>
    public static void LoopFinished(Braid.Loop.AsyncLoop loop) => s_session?.RemoveLoop(loop);

    /// <summary>The recorded state of the running session's groups and children.</summary>
    internal sealed class Session(TimeProvider clock)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<Task, ChildRecord> _children = [];
        private readonly Dictionary<long, GroupRecord> _groups = [];
        private readonly Dictionary<long, Braid.Loop.AsyncLoop> _loops = [];
        private long _lastChildId;

        public TimeProvider Clock { get; } = clock;

        public long NextChildId() => Interlocked.Increment(ref _lastChildId);

        public void Add(GroupRecord group)
        {
            lock (_gate)
            {
                _groups[group.Group.Id] = group;
            }
        }

        public void AddLoop(Braid.Loop.AsyncLoop loop)
        {
            lock (_gate)
            {
                _loops[loop.Id] = loop;
            }
        }

        public void RemoveLoop(Braid.Loop.AsyncLoop loop)
        {
            lock (_gate)
            {
                _loops.Remove(loop.Id);
            }
        }

        public void RemoveGroup(long id)
        {
            lock (_gate)
            {
                _groups.Remove(id);
            }
        }

        public void AddChild(Task task, ChildRecord child)
        {
            lock (_gate)
            {
                // A child that ended between its start and here was finished before it was added.
                if (!task.IsCompleted)
                {
                    // Children may return one shared task: they are chained on it and end together.
                    child.NextOnTask = _children.GetValueOrDefault(task);
                    _children[task] = child;
                }
            }
        }

        public void RemoveChild(Task task)
        {
            lock (_gate)
            {
                _children.Remove(task);
            }
        }

        public (GroupRecord[] Groups, ChildRecord[] Children, Braid.Loop.AsyncLoop[] Loops) Snapshot()
        {
            lock (_gate)
            {
                var children = new List<ChildRecord>();
                foreach (var first in _children.Values)
                {
                    for (var child = first; child is not null && !child.Task!.IsCompleted; child = child.NextOnTask)
                    {
                        children.Add(child);
                    }
                }

                return ([.. _groups.Values], [.. children], [.. _loops.Values]);
            }
        }
    }
}
