using System.Runtime.CompilerServices;

namespace Braid.Time;

/// <summary>
/// The pending timers of a <see cref="VirtualClock"/>, earliest first, and among timers due at the
/// same instant, lowest sequence (creation order) first. Not thread-safe: the clock holds its gate.
/// </summary>
/// <remarks>
/// Timers are grouped in one bucket per distinct due time: a priority queue orders the buckets, and
/// each bucket is a doubly linked list through the entries themselves, kept in sequence order. Tests
/// and simulations arm many timers for the same instant (100,000 one-microsecond sleeps fall due
/// together), and there a heap of entries pays a sift of log n levels for every firing, over an array
/// that grows onto the large-object heap. Here arming at a known instant appends to a list, firing
/// takes the head, and removal unlinks: all O(1), with no per-timer allocation beyond the entry.
/// Like the loop's pump, its methods run hot from the first timer and are compiled fully optimized at once.
/// </remarks>
internal sealed class TimerQueue
{
    private readonly PriorityQueue<Bucket, long> _byDue = new();
    private readonly Dictionary<long, Bucket> _buckets = new();
    private Bucket? _lastArmed;

    // Emptied buckets still in _byDue: dropped when they reach the top, or all at once when they
    // outnumber the live ones (timeouts armed and cancelled far ahead of the clock would otherwise
    // pile up until virtual time reached them).
    private int _stale;

    /// <summary>How many entries are queued.</summary>
    public int Count { get; private set; }

    /// <summary>How many buckets the priority queue holds, emptied ones not yet dropped included (for tests).</summary>
    internal int QueuedBucketCount => _byDue.Count;

    /// <summary>Queues <paramref name="entry"/>, which must not be queued, to fall due at <paramref name="due"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(Entry entry, long due, long sequence)
    {
        var bucket = _lastArmed;
        if (bucket is null || bucket.Due != due)
        {
            if (!_buckets.TryGetValue(due, out bucket))
            {
                bucket = new Bucket(due);
                _buckets.Add(due, bucket);
                _byDue.Enqueue(bucket, due);
            }

            _lastArmed = bucket;
        }

        entry.Sequence = sequence;
        entry.Bucket = bucket;

        // Almost always the newest sequence: it goes last. A periodic timer re-armed keeps its
        // creation sequence and walks back to its place.
        var after = bucket.Tail;
        while (after is not null && after.Sequence > sequence)
        {
            after = after.Previous;
        }

        entry.Previous = after;
        entry.Next = after is null ? bucket.Head : after.Next;
        if (entry.Next is null)
        {
            bucket.Tail = entry;
        }
        else
        {
            entry.Next.Previous = entry;
        }

        if (after is null)
        {
            bucket.Head = entry;
        }
        else
        {
            after.Next = entry;
        }

        Count++;
    }

    /// <summary>Takes <paramref name="entry"/>, which must be queued, out of the queue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Remove(Entry entry)
    {
        var bucket = entry.Bucket!;
        if (entry.Previous is null)
        {
            bucket.Head = entry.Next;
        }
        else
        {
            entry.Previous.Next = entry.Next;
        }

        if (entry.Next is null)
        {
            bucket.Tail = entry.Previous;
        }
        else
        {
            entry.Next.Previous = entry.Previous;
        }

        entry.Previous = null;
        entry.Next = null;
        entry.Bucket = null;
        Count--;
        if (bucket.Head is null)
        {
            // Emptied: no longer found for arming; the priority queue drops it when it reaches the top.
            _buckets.Remove(bucket.Due);
            if (ReferenceEquals(_lastArmed, bucket))
            {
                _lastArmed = null;
            }

            if (++_stale > 64 && _stale > _buckets.Count)
            {
                _byDue.Clear();
                foreach (var live in _buckets.Values)
                {
                    _byDue.Enqueue(live, live.Due);
                }

                _stale = 0;
            }
        }
    }

    /// <summary>The earliest entry and its due time; false when the queue is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryPeek(out Entry? entry, out long due)
    {
        while (_byDue.TryPeek(out var bucket, out due))
        {
            if (bucket.Head is { } head)
            {
                entry = head;
                return true;
            }

            _byDue.Dequeue();
            _stale--;
        }

        entry = null;
        due = 0;
        return false;
    }

    internal sealed class Bucket(long due)
    {
        public long Due { get; } = due;

        public Entry? Head { get; set; }

        public Entry? Tail { get; set; }
    }

    /// <summary>What the queue links: a timer of the clock. An entry is in at most one bucket at a time.</summary>
    internal abstract class Entry
    {
        /// <summary>Whether the entry is queued (armed).</summary>
        public bool IsQueued => Bucket is not null;

        internal long Sequence { get; set; }

        internal Entry? Previous { get; set; }

        internal Entry? Next { get; set; }

        internal Bucket? Bucket { get; set; }
    }
}
