using System.Diagnostics;

namespace Braid.Pipelines.Engine;

/// <summary>
/// Hands the input of a stage with several workers to its workers, leader/followers style: one
/// idle worker (the leader) waits on the input; when a batch arrives it splits it into one chunk
/// per idle worker, hands chunks to the waiting followers (or queues them for workers about to ask),
/// and passes the lead on. So a batch of a few slow items is spread over every worker, while busy
/// workers still receive whole batches. Chunks are numbered in input order for ordered output.
/// </summary>
internal sealed class Dispatcher<T>
{
    private readonly object _gate = new();
    private readonly Link<T> _input;
    private readonly int _workers;
    private readonly Queue<Chunk> _ready = new();
    private readonly Queue<TaskCompletionSource<Chunk>> _waiting = new();
    private bool _leading;
    private bool _ended;
    private int _busy;
    private long _next;

    public Dispatcher(Link<T> input, int workers)
    {
        _input = input;
        _workers = workers;
    }

    /// <summary>A chunk of input and its number; <see cref="Ok"/> is false at the end of the input.</summary>
    public readonly record struct Chunk(bool Ok, bool Lead, Segment<T> Segment, long Number);

    /// <summary>Takes the next chunk. <paramref name="finishedOne"/> says the caller has finished the chunk it had.</summary>
    /// <remarks>On a dedicated worker thread (an AsyncLoop) the hand-off's bookkeeping stays on it (design rule 104).</remarks>
    public async ValueTask<Chunk> TakeAsync(bool finishedOne, CancellationToken ct)
    {
        TaskCompletionSource<Chunk>? wait = null;
        lock (_gate)
        {
            if (finishedOne)
            {
                _busy--;
            }

            if (_ready.TryDequeue(out var ready))
            {
                return ready;
            }

            if (_ended)
            {
                return default;
            }

            if (_leading)
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
            var chunks = Math.Min(segment.Count, idle);
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
            mine = new Chunk(true, false, new Segment<T>(segment.Items, firstCount), number);
            _leading = _waiting.TryDequeue(out nextLeader);
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
