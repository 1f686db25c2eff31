using System.Diagnostics;

namespace Braid.Pipelines.Engine;

/// <summary>
/// Hands the input of a stage with several workers to its workers, leader/followers style: one
/// idle worker (the leader) waits on the input; when a batch arrives it splits it into one chunk
/// per idle worker, hands chunks to the waiting followers (or queues them for workers about to ask),
/// and passes the lead on. So a batch of a few slow items is spread over every worker, while busy
/// workers still receive whole batches. Chunks are numbered in input order for ordered output.
/// </summary>
/// <remarks>
/// Fusing (issue 11): a hand-off (waking a parked worker, splitting the batch, the chunks' bookkeeping)
/// costs a few microseconds, so when the measured work of a batch (<see cref="Report"/>, real time) is
/// below <see cref="HandOffTicks"/> the leader
/// neither splits the batch nor passes the lead: it keeps leading (<see cref="Chunk.KeepsLead"/>), and
/// the other workers stay parked instead of being woken per batch, so the stage runs like one worker.
/// The estimate is updated after every chunk, so the first batch whose work is worth a hand-off
/// spreads again. The decision only chooses which worker runs a chunk: items, their numbers and
/// order, cancellation and the end of the input are handled as without it.
/// </remarks>
internal sealed class Dispatcher<T>
{
    /// <summary>
    /// About what sharing a batch costs, 5 µs: a batch with less work than this is run by the leader alone.
    /// Measured on two cores (bench/README.md, seventh session): a batch of 256 items of 10 ns (2.6 µs)
    /// ran no faster split between two workers than on one, a batch of 256 items of 40 ns (10 µs) ran
    /// 1.4 times as fast.
    /// </summary>
    internal static readonly long HandOffTicks = Math.Max(1, Stopwatch.Frequency / 200_000);

    private readonly object _gate = new();
    private readonly Link<T> _input;
    private readonly int _workers;
    private readonly bool _mayFuse;
    private readonly Queue<Chunk> _ready = new();
    private readonly Queue<TaskCompletionSource<Chunk>> _waiting = new();
    private bool _leading;
    private bool _ended;
    private int _busy;
    private long _next;

    // The measured work per item in Stopwatch ticks × 16 (a running average); -1 until a chunk is reported.
    private long _ticksPerItem16 = -1;

    /// <param name="input">The stage's input.</param>
    /// <param name="workers">The stage's workers.</param>
    /// <param name="mayFuse">Whether tiny work may run on the leader alone: only for synchronous functions on pool workers (see <see cref="TransformStage{TIn, TOut}"/>).</param>
    public Dispatcher(Link<T> input, int workers, bool mayFuse = true)
    {
        _input = input;
        _workers = workers;
        _mayFuse = mayFuse;
    }

    /// <summary>
    /// A chunk of input and its number; <see cref="Ok"/> is false at the end of the input. <see cref="KeepsLead"/>
    /// says the taker still leads (the batch was too small to share): it passes that back to <see cref="TakeAsync"/>.
    /// </summary>
    public readonly record struct Chunk(bool Ok, bool Lead, Segment<T> Segment, long Number, bool KeepsLead = false);

    /// <summary>
    /// Takes the next chunk. <paramref name="finishedOne"/> says the caller has finished the chunk it had;
    /// <paramref name="keepsLead"/> that that chunk came with <see cref="Chunk.KeepsLead"/>.
    /// </summary>
    /// <remarks>
    /// Completes synchronously when a chunk is ready or the leader finds input. A caller that waits (for
    /// input as the leader, or for a chunk or the lead as a follower) is cancelled by <paramref name="ct"/>.
    /// On a dedicated worker thread (an AsyncLoop) the hand-off's bookkeeping stays on it (design rule 104).
    /// </remarks>
    public async ValueTask<Chunk> TakeAsync(bool finishedOne, bool keepsLead, CancellationToken ct)
    {
        TaskCompletionSource<Chunk>? wait = null;
        lock (_gate)
        {
            if (finishedOne)
            {
                _busy--;
            }

            if (keepsLead)
            {
                // Still the leader: a leader that keeps the lead queued no chunks, and only a leader queues.
                Debug.Assert(_leading && _ready.Count == 0, "A leader that kept the lead queued no chunks.");
            }
            else if (_ready.TryDequeue(out var ready))
            {
                return ready;
            }
            else if (_ended)
            {
                return default;
            }
            else if (_leading)
            {
                wait = new TaskCompletionSource<Chunk>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Enqueue(wait);
            }
            else
            {
                _leading = true;
            }
        }

        if (wait is not null)
        {
            var handed = await wait.Task.WaitAsync(ct).ConfigureAwait(LoopContext.IsCurrent);
            if (!handed.Lead)
            {
                return handed;
            }
        }

        return await LeadAsync(ct).ConfigureAwait(LoopContext.IsCurrent);
    }

    /// <summary>
    /// The fast path of a leader that kept the lead: takes the next buffered batch whole, without the
    /// lock, when the work of a full batch is still below a wake-up. Answers <see langword="false"/> when
    /// the input is empty or the work has grown: the caller then goes through <see cref="TakeAsync"/>.
    /// </summary>
    /// <remarks>Only the leader numbers chunks, and a leader that kept the lead has queued none, so nothing here needs the lock.</remarks>
    public bool TryContinue(out Chunk chunk)
    {
        if (!IsTiny(_input.Spec.SegmentSize) || !_input.Reader.TryRead(out var segment))
        {
            chunk = default;
            return false;
        }

        _input.Dequeued(segment.Count);
        chunk = new Chunk(true, false, segment, _next++, KeepsLead: true);
        return true;
    }

    /// <summary>Records that a worker took <paramref name="ticks"/> (Stopwatch) to run a chunk of <paramref name="items"/> items.</summary>
    public void Report(long ticks, int items)
    {
        if (items <= 0)
        {
            return;
        }

        // A racy running average is enough: it only chooses which worker runs a chunk. It falls faster
        // than it rises, so one chunk stretched by preemption does not stop fusing for long.
        var sample = ticks * 16 / items;
        var old = Volatile.Read(ref _ticksPerItem16);
        Volatile.Write(ref _ticksPerItem16, old < 0 ? sample : old + ((sample - old) / (sample < old ? 2 : 4)));
    }

    // How many chunks keep each near a paced transfer's work (1 while the work is unknown).
    private int ChunksForWork(int items)
    {
        var perItem16 = Volatile.Read(ref _ticksPerItem16);
        if (perItem16 <= 0)
        {
            return 1;
        }

        var target16 = Outbox<T>.TargetTicks * 16;
        return (int)Math.Min(items, ((items * perItem16) + target16 - 1) / target16);
    }

    // Whether running this many items is known to cost less than waking a worker: fusing's one test.
    private bool IsTiny(int items)
    {
        var perItem16 = Volatile.Read(ref _ticksPerItem16);
        return _mayFuse && perItem16 >= 0 && items * perItem16 < HandOffTicks * 16;
    }

    private async ValueTask<Chunk> LeadAsync(CancellationToken ct)
    {
        var reader = _input.Reader;
        Segment<T> segment;
        while (!reader.TryRead(out segment))
        {
            if (!await reader.WaitToReadAsync(ct).ConfigureAwait(LoopContext.IsCurrent))
            {
                List<TaskCompletionSource<Chunk>> ended;
                lock (_gate)
                {
                    _ended = true;
                    _leading = false;
                    ended = [.. _waiting];
                    _waiting.Clear();
                }

                foreach (var waiter in ended)
                {
                    waiter.TrySetResult(default);
                }

                return default;
            }
        }

        _input.Dequeued(segment.Count);
        List<(TaskCompletionSource<Chunk> Waiter, Chunk Chunk)>? handoffs = null;
        TaskCompletionSource<Chunk>? nextLeader;
        Chunk mine;
        lock (_gate)
        {
            // Tiny work (known, and below a hand-off per batch): one chunk, and the lead is kept.
            var fused = IsTiny(segment.Count);
            var idle = fused ? 1 : Math.Max(1, _workers - _busy);
            // One chunk per idle worker, and more when a batch holds more work than a paced transfer
            // (Outbox.TargetTicks): a chunk's output is sent when the chunk is done, so slow items in a
            // large batch are sent in smaller chunks, sooner; the extra chunks wait for the next taker.
            var chunks = Math.Min(segment.Count, fused ? 1 : Math.Max(idle, ChunksForWork(segment.Count)));
            var number = _next;
            _next += chunks;
            _busy += chunks;
            var size = segment.Count / chunks;
            var extra = segment.Count % chunks;
            var firstCount = size + (extra > 0 ? 1 : 0);
            var offset = firstCount;
            for (var i = 1; i < chunks; i++)
            {
                var count = size + (i < extra ? 1 : 0);
                var items = Segment<T>.Rent(count);
                Array.Copy(segment.Items, offset, items, 0, count);
                offset += count;
                var chunk = new Chunk(true, false, new Segment<T>(items, count), number + i);
                if (_waiting.TryDequeue(out var waiter))
                {
                    (handoffs ??= []).Add((waiter, chunk));
                }
                else
                {
                    _ready.Enqueue(chunk);
                }
            }

            Debug.Assert(offset == segment.Count, "The chunks cover the batch exactly.");
            mine = new Chunk(true, false, new Segment<T>(segment.Items, firstCount), number, fused);
            nextLeader = null;
            if (!fused)
            {
                _leading = _waiting.TryDequeue(out nextLeader);
            }
        }

        if (handoffs is not null)
        {
            foreach (var (waiter, chunk) in handoffs)
            {
                waiter.TrySetResult(chunk);
            }
        }

        nextLeader?.TrySetResult(new Chunk(false, true, default, -1));
        return mine;
    }
}
