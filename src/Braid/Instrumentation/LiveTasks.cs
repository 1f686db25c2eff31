namespace Braid.Instrumentation;

/// <summary>
/// The core's record of live task groups, their children, what each child waits on and which child
/// holds a lock (an <c>AsyncLock</c> or a write lock). Nothing is recorded unless a session runs: <see cref="Start"/> turns recording on and
/// disposing its result turns it off (docs/design.md rules 120 and 125). <c>Braid.Diagnostics</c>'
/// <c>TaskTree</c> reads it; most code wants that instead.
/// </summary>
/// <remarks>
/// Only what starts while the session runs is recorded: groups and children started before it, and
/// locks taken before it, are not in the snapshot (a lock's holder is then unknown).
/// </remarks>
public static class LiveTasks
{
    /// <summary>
    /// Groups and children recorded since the process started, over all sessions: it does not move
    /// while no session runs. Completes synchronously.
    /// </summary>
    public static long RecordedCount => TaskRegistry.Recorded;

    /// <summary>Whether a session runs.</summary>
    public static bool IsRecording => TaskRegistry.Active is not null;

    /// <summary>
    /// Starts recording; dispose the result to stop. One session at a time. Completes synchronously.
    /// </summary>
    /// <param name="clock">The clock the children's ages are measured on (its timestamps); the system clock by default.</param>
    /// <returns>The session; disposing it stops recording and drops what was recorded.</returns>
    /// <exception cref="InvalidOperationException">A session already runs.</exception>
    public static IDisposable Start(TimeProvider? clock = null) => new Recording(TaskRegistry.Start(clock ?? TimeProvider.System));

    /// <summary>
    /// A snapshot of the live groups and children recorded by the running session (empty when none
    /// runs). Completes synchronously; takes the registry's lock briefly, never a primitive's.
    /// </summary>
    /// <returns>The groups and children, each child with what it waits on and the holder where known.</returns>
    public static LiveTaskSnapshot Capture()
    {
        if (TaskRegistry.Active is not { } session)
        {
            return new LiveTaskSnapshot([], []);
        }

        var now = session.Clock.GetTimestamp();
        var (groups, children) = session.Snapshot();
        var groupInfos = groups
            .OrderBy(g => g.Group.Id)
            .Select(g => new LiveGroupInfo(
                g.Group.Id,
                g.Group.Name,
                g.ParentChild?.Id ?? 0,
                g.ParentGroup?.Id ?? 0,
                session.Clock.GetElapsedTime(g.Started, now),
                g.Group.CancelReason is not null))
            .ToArray();
        var childInfos = children
            .OrderBy(c => c.Id)
            .Select(c => new LiveChildInfo(c.Id, c.Group.Id, c.Name, session.Clock.GetElapsedTime(c.Started, now), WaitOf(c)))
            .ToArray();
        return new LiveTaskSnapshot(groupInfos, childInfos);
    }

    private static LiveWaitInfo? WaitOf(ChildRecord child)
    {
        if (child.Wait is not { } wait || !wait.IsWaiting(child))
        {
            return null;
        }

        var holder = wait.Primitive?.Holder;
        return new LiveWaitInfo(wait.Kind, wait.PrimitiveId, holder is not null && ReferenceEquals(holder.Session, child.Session) ? holder.Id : 0);
    }

    private sealed class Recording(TaskRegistry.Session session) : IDisposable
    {
        public void Dispose() => TaskRegistry.Stop(session);
    }
}
