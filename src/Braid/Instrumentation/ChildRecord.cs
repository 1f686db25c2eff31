using Braid.Structured;

namespace Braid.Instrumentation;

/// <summary>
/// One child of a task group, recorded while a task tree session runs, or only carrying its activity
/// (<see cref="TaskGroupActivities"/>) when no session runs.
/// </summary>
internal sealed class ChildRecord(TaskRegistry.Session? session, long id, TaskGroup group, string? name, long started, ChildRecord? previous)
{
    /// <summary>The task tree session, or <see langword="null"/> for a record that only carries an activity.</summary>
    public TaskRegistry.Session? Session { get; } = session;

    /// <summary>The child's activity, or <see langword="null"/>.</summary>
    public System.Diagnostics.Activity? Activity { get; init; }

    /// <summary>The activity current where the child was started, restored once its synchronous part returns.</summary>
    public System.Diagnostics.Activity? PreviousActivity { get; init; }

    /// <summary>Numbered from 1 in the order children started in the session.</summary>
    public long Id { get; } = id;

    public TaskGroup Group { get; } = group;

    public string? Name { get; } = name;

    /// <summary>The session clock's timestamp when the child started.</summary>
    public long Started { get; } = started;

    /// <summary>The child current on the starting flow before this one (restored once its synchronous part returns).</summary>
    public ChildRecord? Previous { get; } = previous;

    /// <summary>The child's task, once its synchronous part returned.</summary>
    public Task? Task { get; set; }

    /// <summary>The last wait the child queued; current while <see cref="WaitRecord.IsWaiting"/>.</summary>
    public WaitRecord? Wait { get; set; }

    /// <summary>Another live child that returned the same task, if any.</summary>
    public ChildRecord? NextOnTask { get; set; }
}

/// <summary>What a child waits on: a queued waiter node, or a child it started with <c>StartAsync</c>.</summary>
internal abstract class WaitRecord(string kind, long primitiveId)
{
    public string Kind { get; } = kind;

    public long PrimitiveId { get; } = primitiveId;

    /// <summary>The recorded child that alone can end the wait (the child being started), or <see langword="null"/>.</summary>
    public virtual ChildRecord? Holder => null;

    /// <summary>Whether <paramref name="child"/> still waits through this record.</summary>
    public abstract bool IsWaiting(ChildRecord child);
}

/// <summary>A wait through a waiter node of type <typeparamref name="T"/>.</summary>
internal sealed class WaitRecord<T>(Braid.Internal.Waiters.Waiter<T> waiter, string kind, long primitiveId)
    : WaitRecord(kind, primitiveId)
{
    /// <summary>Whether the node is still queued and not reused by another child.</summary>
    public override bool IsWaiting(ChildRecord child) => waiter.IsQueued && ReferenceEquals(waiter.WaitingChild, child);
}

/// <summary>A wait in <c>TaskGroup.StartAsync</c> for the started child to call <c>Started</c>.</summary>
internal sealed class StartWaitRecord(ChildRecord started, Task signal) : WaitRecord("TaskGroup.StartAsync", started.Group.Id)
{
    public override ChildRecord? Holder => started;

    public override bool IsWaiting(ChildRecord child) => !signal.IsCompleted && ReferenceEquals(child.Wait, this);
}

/// <summary>One task group, recorded while a task tree session runs.</summary>
internal sealed class GroupRecord(TaskGroup group, ChildRecord? parentChild, TaskGroup? parentGroup, long started, Braid.Loop.AsyncLoop? loop)
{
    public TaskGroup Group { get; } = group;

    /// <summary>The event loop the group was opened on, or <see langword="null"/>.</summary>
    public Braid.Loop.AsyncLoop? Loop { get; } = loop;

    /// <summary>The child whose code opened the group, or <see langword="null"/>.</summary>
    public ChildRecord? ParentChild { get; } = parentChild;

    /// <summary>The group whose body opened this one, or <see langword="null"/>.</summary>
    public TaskGroup? ParentGroup { get; } = parentGroup;

    public long Started { get; } = started;
}
