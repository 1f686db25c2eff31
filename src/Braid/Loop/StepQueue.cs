using System.Runtime.CompilerServices;

namespace Braid.Loop;

/// <summary>
/// An <see cref="AsyncLoop"/>'s FIFO of posted steps, in two halves: the posting chain, appended to
/// under the loop's gate from any thread, and the running chain, which only the pump reads, without
/// locking. The pump takes the whole posting chain in one swap under the gate.
/// </summary>
/// <remarks>
/// Both chains are linked array segments, 64 to 1,024 steps each (1,024 is 16 KB, well under the
/// large-object heap's threshold). A burst of 100,000 posts appends segments and never copies or
/// grows an array; segments the pump has finished go to a free list at the next swap, so a loop that
/// has seen a burst posts the next one without allocating. Like a grown array, the free segments
/// stay with the loop for its life.
/// </remarks>
internal sealed class StepQueue
{
    private const int MinSegment = 64;
    private const int MaxSegment = 1024;

    // Posting chain and free list: under the loop's gate.
    private Segment? _postHead;
    private Segment? _postTail;
    private Segment? _free;

    // Running chain: the pump's thread only. _runLeft is also read, racily, for statistics.
    private Segment? _runHead;
    private Segment? _run;
    private int _runIndex;
    private int _runLeft;

    /// <summary>Steps posted and not yet taken by the pump (under the gate).</summary>
    public int PostedCount { get; private set; }

    /// <summary>Steps taken by the pump and not yet run (exact on the pump's thread, a moment old elsewhere).</summary>
    public int RunnableCount => Volatile.Read(ref _runLeft);

    /// <summary>Appends a step to the posting chain. Under the gate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddLocked(SendOrPostCallback callback, object? state)
    {
        var tail = _postTail;
        if (tail is null || tail.Count == tail.Items.Length)
        {
            tail = NewSegmentLocked();
        }

        tail.Items[tail.Count++] = new WorkItem(callback, state);
        PostedCount++;
    }

    /// <summary>Takes the next step of the running chain; false when it is used up. The pump's thread only, no lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryTakeRunnable(out WorkItem item)
    {
        var run = _run;
        while (run is not null)
        {
            if (_runIndex < run.Count)
            {
                ref var slot = ref run.Items[_runIndex++];
                item = slot;
                slot = default;
                _runLeft--;
                return true;
            }

            if (run.Next is null)
            {
                break;
            }

            run = _run = run.Next;
            _runIndex = 0;
        }

        item = default;
        return false;
    }

    /// <summary>
    /// Under the gate, once the running chain is used up: recycles its segments and makes the posting
    /// chain the running one. False when nothing was posted.
    /// </summary>
    public bool SwapLocked()
    {
        if (_runHead is not null)
        {
            _run!.Next = _free; // _run is the chain's last segment: the pump ran it to the end
            _free = _runHead;
            _runHead = _run = null;
        }

        if (PostedCount == 0)
        {
            return false;
        }

        _runHead = _run = _postHead;
        _runIndex = 0;
        Volatile.Write(ref _runLeft, PostedCount);
        _postHead = _postTail = null;
        PostedCount = 0;
        return true;
    }

    /// <summary>Under the gate, after the pump has stopped: what was left to run, then what was posted, in order.</summary>
    public List<WorkItem>? DrainLocked()
    {
        var left = _runLeft + PostedCount;
        if (left == 0)
        {
            return null;
        }

        var list = new List<WorkItem>(left);
        while (TryTakeRunnable(out var item))
        {
            list.Add(item);
        }

        if (SwapLocked())
        {
            while (TryTakeRunnable(out var item))
            {
                list.Add(item);
            }
        }

        return list;
    }

    // Under the gate.
    private Segment NewSegmentLocked()
    {
        var segment = _free;
        if (segment is not null)
        {
            _free = segment.Next;
            segment.Next = null;
            segment.Count = 0;
        }
        else
        {
            segment = new Segment(Math.Clamp(PostedCount, MinSegment, MaxSegment));
        }

        if (_postTail is null)
        {
            _postHead = segment;
        }
        else
        {
            _postTail.Next = segment;
        }

        _postTail = segment;
        return segment;
    }

    private sealed class Segment(int size)
    {
        public readonly WorkItem[] Items = new WorkItem[size];
        public int Count;
        public Segment? Next;
    }
}
