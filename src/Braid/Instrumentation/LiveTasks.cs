namespace Braid.Instrumentation;

/// <summary>
/// The core's record of live task groups, their children, what each child waits on and which child
/// holds a lock. Nothing is recorded unless a session runs: <see cref="Start"/> turns recording on and
/// disposing its result turns it off (docs/design.md rules 120 and 125). <c>Braid.Diagnostics</c>'
/// <c>TaskTree</c> reads it; most code wants that instead.
/// </summary>
/// <remarks>
/// Only what starts while the session runs is recorded: groups and children started before it are not in
/// the snapshot. Holders are not recorded at all: a capture finds them in the releasers that suspended
/// children keep (docs/design.md rule 125), so the core's acquire paths pay nothing for them.
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
    /// Whether await chains and holders can be reconstructed on this runtime: the walk of the runtime's
    /// async state machines is checked once on a chain of known shape (it reads private runtime fields a
    /// new runtime may rename). When false, chains and holders are absent, nothing else changes.
    /// </summary>
    public static bool AwaitChainsSupported => AwaitChains.IsSupported;

    /// <summary>
    /// A snapshot of the live groups, children and loops recorded by the running session (empty when none
    /// runs). Completes synchronously; takes the registry's lock briefly, never a primitive's. Each child's
    /// await chain and the primitives it holds are read from its suspended async methods now, so a lock
    /// taken before the session still shows its holder.
    /// </summary>
    /// <returns>The groups, children and loops, each child with what it waits on and the holders where known.</returns>
    public static LiveTaskSnapshot Capture()
    {
        if (TaskRegistry.Active is not { } session)
        {
            return new LiveTaskSnapshot([], []);
        }

        var now = session.Clock.GetTimestamp();
        var (groups, children, loops) = session.Snapshot();
        var walks = new Dictionary<ChildRecord, AwaitChains.Walk>();
        foreach (var child in children)
        {
            walks[child] = AwaitChains.Of(child.Task!, ActiveWait(child));
        }

        var holders = new Holders(walks, children);
        var groupInfos = groups
            .OrderBy(g => g.Group.Id)
            .Select(g => new LiveGroupInfo(
                g.Group.Id,
                g.Group.Name,
                g.ParentChild?.Id ?? 0,
                g.ParentGroup?.Id ?? 0,
                session.Clock.GetElapsedTime(g.Started, now),
                g.Group.CancelReason is not null)
            { LoopId = g.Loop?.Id ?? 0 })
            .ToArray();
        var childInfos = children
            .OrderBy(c => c.Id)
            .Select(c => new LiveChildInfo(c.Id, c.Group.Id, c.Name, session.Clock.GetElapsedTime(c.Started, now), holders.WaitOf(c))
            {
                AwaitChain = walks[c].Text,
            })
            .ToArray();
        var loopInfos = loops
            .Concat(groups.Select(g => g.Loop).OfType<Braid.Loop.AsyncLoop>())
            .DistinctBy(l => l.Id)
            .OrderBy(l => l.Id)
            .Select(l =>
            {
                var stats = l.GetStatistics();
                return new LiveLoopInfo(l.Id, stats.QueueLength, (l.TimeProvider as Braid.Time.VirtualClock)?.ActiveTimerCount, stats.StepsRun, l.IsDebugMode);
            })
            .ToArray();
        return new LiveTaskSnapshot(groupInfos, childInfos) { Loops = loopInfos };
    }

    private static WaitRecord? ActiveWait(ChildRecord child) => child.Wait is { } wait && wait.IsWaiting(child) ? wait : null;

    /// <summary>Who holds what, from the walks: the releasers and receive ends each suspended child keeps.</summary>
    private sealed class Holders
    {
        private readonly Dictionary<(string Kind, long Id), List<(long Child, bool Exclusive)>> _held = [];
        private readonly Dictionary<long, List<long>> _receivers = [];
        private readonly HashSet<long> _live = [];
        private readonly Dictionary<long, long> _sendingOn = [];

        public Holders(Dictionary<ChildRecord, AwaitChains.Walk> walks, ChildRecord[] children)
        {
            foreach (var child in children)
            {
                _live.Add(child.Id);
                if (ActiveWait(child) is { Kind: "MemoryChannel.Sender" } send)
                {
                    _sendingOn[child.Id] = send.PrimitiveId;
                }
            }

            foreach (var (child, walk) in walks)
            {
                foreach (var held in walk.Held.Distinct())
                {
                    var key = (held.Kind, held.Id);
                    if (!_held.TryGetValue(key, out var list))
                    {
                        _held[key] = list = [];
                    }

                    list.Add((child.Id, held.Exclusive));
                }

                foreach (var channel in walk.ReceiveEnds)
                {
                    if (!_receivers.TryGetValue(channel, out var list))
                    {
                        _receivers[channel] = list = [];
                    }

                    list.Add(child.Id);
                }
            }
        }

        public LiveWaitInfo? WaitOf(ChildRecord child)
        {
            if (ActiveWait(child) is not { } wait)
            {
                return null;
            }

            var (holders, all) = wait.Kind switch
            {
                "AsyncLock" => (HeldBy("AsyncLock", wait.PrimitiveId, exclusiveOnly: false), true),
                "AsyncReaderWriterLock.Reader" => (HeldBy("AsyncReaderWriterLock", wait.PrimitiveId, exclusiveOnly: true), true),
                "AsyncReaderWriterLock.Writer" => (HeldBy("AsyncReaderWriterLock", wait.PrimitiveId, exclusiveOnly: false), true),
                "AsyncSemaphore" or "CapacityLimiter" => (HeldBy(wait.Kind, wait.PrimitiveId, exclusiveOnly: false), false),
                "MemoryChannel.Sender" => (Receivers(wait.PrimitiveId, child.Id), false),
                _ => (wait.Holder is { } started && _live.Contains(started.Id) && ReferenceEquals(started.Session, child.Session) ? [started.Id] : [], true),
            };
            holders.Remove(child.Id);
            holders.Sort();
            return new LiveWaitInfo(wait.Kind, wait.PrimitiveId, holders.Count == 1 ? holders[0] : 0) { Holders = holders, NeedsAllHolders = all };
        }

        private List<long> HeldBy(string kind, long id, bool exclusiveOnly) =>
            _held.TryGetValue((kind, id), out var list) ? [.. list.Where(h => h.Exclusive || !exclusiveOnly).Select(h => h.Child).Distinct()] : [];

        // The children keeping the receive end, but not those waiting to send to it themselves.
        private List<long> Receivers(long channel, long sender) =>
            _receivers.TryGetValue(channel, out var list)
                ? [.. list.Where(c => c != sender && _sendingOn.GetValueOrDefault(c) != channel).Distinct()]
                : [];
    }

    private sealed class Recording(TaskRegistry.Session session) : IDisposable
    {
        public void Dispose() => TaskRegistry.Stop(session);
    }
}
