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
/// Handing a chunk or the lead to a parked worker is a wake-up, which costs microseconds. So the
/// dispatcher adapts to the work's measured cost (<see cref="Report"/>, real time: it decides only
/// which worker runs a chunk, never what is computed or its order): a batch is split only into chunks
/// of at least <see cref="MinChunkTicks"/> of work, and a leader whose batch is below that and whose
/// input has run dry keeps the lead instead of waking a follower to wait on an empty input. When the
/// work per item is tiny, a stage of N workers then runs like one worker (the others stay parked)
/// instead of paying a wake-up per batch; when the stage falls behind its input, the lead passes again.
/// </remarks>
internal sealed class Dispatcher<T>
{
    /// <summary>About two wake-ups' worth of work: a chunk smaller than this is not worth a hand-off.</summary>
    internal static readonly long MinChunkTicks = Stopwatch.Frequency / 50_000;

    private readonly object _gate = new();
    private readonly Link<T> _input;
    private readonly int _workers;
    private readonly Queue<Chunk> _ready = new();
    private readonly Queue<TaskCompletionSource<Chunk>> _waiting = new();
    private bool _leading;
    private bool _ended;
    private int _busy;
    private long _next;

    // The measured work per item, in Stopwatch ticks × 16 (a running average); -1 until measured.
    private long _ticksPerItem16 = -1;

    public Dispatcher(Link<T> input, int workers)
    {
        _input = input;
        _workers = workers;
    }

    /// <summary>
    /// A chunk of input and its number; <see cref="Ok"/> is false at the end of the input. <see cref="KeepsLead"/>
    /// says the taker still leads: it must pass it back to <see cref="TakeAsync"/>.
    /// </summary>
    public readonly record struct Chunk(bool Ok, bool Lead, Segment<T> Segment, long Number, bool KeepsLead = false);

    /// <summary>
    /// Takes the next chunk. <paramref name="finishedOne"/> says the caller has finished the chunk it
    /// had; <paramref name="keepsLead"/> that this chunk came with <see cref="Chunk.KeepsLead"/>.
    /// </summary>
    /// <remarks>On a dedicated worker thread (an AsyncLoop) the hand-off's bookkeeping stays on it (design rule 104).</remarks>
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
                // Still the leader: it queued no chunks when it kept the lead, and nobody else leads.
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

    /// <summary>Records that a worker took <paramref name="ticks"/> (Stopwatch) for a chunk of <paramref name="items"/> items.</summary>
    public void Report(long ticks, int items)
    {
        if (items <= 0)
        {
            return;
        }

        // A racy running average is enough: it only steers the hand-offs.
        var sample = ticks * 16 / items;
        var old = Volatile.Read(ref _ticksPerItem16);
        Volatile.Write(ref _ticksPerItem16, old < 0 ? sample : ((old * 3) + sample) / 4);
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
            var idle = Math.Max(1, _workers - _busy);
            var perItem16 = Volatile.Read(ref _ticksPerItem16);
            var work = perItem16 < 0 ? long.MaxValue : segment.Count * perItem16 / 16;
            var chunks = (int)Math.Min(Math.Min(segment.Count, idle), Math.Max(1, work / MinChunkTicks));
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
            // Keep the lead when the batch is too small to share and nothing more is waiting upstream:
            // a follower woken now would only park again on the empty input.
            var keepLead = chunks == 1 && work < MinChunkTicks && reader.Count == 0;
            mine = new Chunk(true, false, new Segment<T>(segment.Items, firstCount), number, keepLead);
            nextLeader = null;
            if (!keepLead)
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
