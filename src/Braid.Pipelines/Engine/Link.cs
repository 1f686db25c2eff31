using System.Threading.Channels;

namespace Braid.Pipelines.Engine;

/// <summary>The shape of the buffer in front of a stage: the items it holds and the items per transfer.</summary>
internal readonly record struct LinkSpec(int Capacity, int SegmentSize, bool SingleReader)
{
    /// <summary>A buffer of <paramref name="capacity"/> items, moved in transfers of at most <paramref name="batch"/>.</summary>
    public static LinkSpec For(int capacity, int batch, bool singleReader) => new(capacity, Math.Min(capacity, batch), singleReader);

    /// <summary>A writer waiting for room is woken when at most this many items are buffered: half the buffer.</summary>
    public int LowWater => Capacity / 2;

    /// <summary>
    /// The most items the buffer can hold: a transfer is admitted while fewer than <see cref="Capacity"/>
    /// items are buffered, so at most <c>Capacity + SegmentSize − 1</c> (design rule 63).
    /// </summary>
    public long MaxItems => (long)Capacity + SegmentSize - 1;
}

/// <summary>The untyped face of a link: how many items wait in it.</summary>
internal abstract class LinkBase
{
    private long _queued;

    public long Queued => Volatile.Read(ref _queued);

    public void Enqueued(int count) => Interlocked.Add(ref _queued, count);

    /// <summary>Called by the reader after each segment it takes (<see cref="Link{T}"/> wakes waiting writers from here).</summary>
    public virtual void Dequeued(int count) => Interlocked.Add(ref _queued, -count);
}

/// <summary>A buffer of segments between two stages (or the last stage and the consumer), bounded in items.</summary>
/// <remarks>
/// The segments go through an unbounded <see cref="Channel{T}"/> (for one reader, the channel without a
/// lock on its fast paths); the bound is kept here, in items: a write is admitted while fewer than
/// <see cref="LinkSpec.Capacity"/> items are buffered. It used to be a bounded channel of
/// <c>Capacity / SegmentSize</c> segments, which held fewer items whenever transfers were partial or
/// paced (Outbox), and whose lock the reader and the writer took for every segment (bench/README.md,
/// seventh session). Writers write through <see cref="WriteAsync"/>, which waits with hysteresis when
/// the buffer is full: a waiting writer is woken when the buffer has drained to
/// <see cref="LinkSpec.LowWater"/> items, not at the first free item, so it then writes a burst instead
/// of waking once per segment the reader takes (each wake is a thread-pool hand-off, paid by the reader).
/// No latency is added: the reader has at least half a buffer to read while the writer waits.
/// </remarks>
internal sealed class Link<T> : LinkBase
{
    private readonly object _gate = new();

    // Items written and not yet taken by the reader: the bound's count (LinkBase.Queued, for statistics,
    // also counts the items of writers still waiting for room).
    private long _buffered;

    // Completed (and cleared) when the buffer drains to the low-water mark; shared by every waiting writer.
    private TaskCompletionSource? _room;

    public Link(LinkSpec spec, bool singleWriter)
    {
        Spec = spec;
        Channel = System.Threading.Channels.Channel.CreateUnbounded<Segment<T>>(new UnboundedChannelOptions
        {
            SingleReader = spec.SingleReader,
            SingleWriter = singleWriter,
            AllowSynchronousContinuations = false,
        });
    }

    public LinkSpec Spec { get; }

    public Channel<Segment<T>> Channel { get; }

    public ChannelReader<Segment<T>> Reader => Channel.Reader;

    public ChannelWriter<Segment<T>> Writer => Channel.Writer;

    /// <summary>Items written and not yet taken: what the bound counts.</summary>
    public long Buffered => Volatile.Read(ref _buffered);

    /// <summary>
    /// Writes <paramref name="segment"/>; when the buffer is full, waits until it has drained to the
    /// low-water mark. Completes synchronously when there is room.
    /// </summary>
    /// <remarks>
    /// Cancelled by <paramref name="cancellationToken"/> (the run's token) while it waits; the segment is then
    /// not written. A write to a completed link fails with the channel's <see cref="ChannelClosedException"/>.
    /// </remarks>
    public ValueTask WriteAsync(Segment<T> segment, CancellationToken cancellationToken) =>
        TryAdmit(segment.Count) ? WriteAdmittedAsync(segment, cancellationToken) : WriteSlowAsync(segment, cancellationToken);

    public override void Dequeued(int count)
    {
        base.Dequeued(count);

        // The full fence of the decrement publishes the take before the writer's registration is read:
        // a writer publishes itself before it reads the count (WriteSlowAsync), so one sees the other.
        var buffered = Interlocked.Add(ref _buffered, -count);
        if (Volatile.Read(ref _room) is not null && buffered <= Spec.LowWater)
        {
            WakeWriters();
        }
    }

    // Counts the segment in if fewer than Capacity items are buffered (so at most Capacity + size - 1 are).
    private bool TryAdmit(int count)
    {
        var buffered = Volatile.Read(ref _buffered);
        while (buffered < Spec.Capacity)
        {
            var seen = Interlocked.CompareExchange(ref _buffered, buffered + count, buffered);
            if (seen == buffered)
            {
                return true;
            }

            buffered = seen;
        }

        return false;
    }

    private ValueTask WriteAdmittedAsync(Segment<T> segment, CancellationToken cancellationToken)
    {
        if (Writer.TryWrite(segment))
        {
            return default;
        }

        // The link was completed (its writer stopped): the segment is not buffered, and the channel's own
        // write reports the completion, as it always did.
        Interlocked.Add(ref _buffered, -segment.Count);
        return Writer.WriteAsync(segment, cancellationToken);
    }

    private async ValueTask WriteSlowAsync(Segment<T> segment, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task room;
            lock (_gate)
            {
                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            // Published (the lock's release, then a full fence) before the count is read: a reader that
            // drained the buffer while this writer was registering either sees the registration or left
            // a count this writer sees.
            Interlocked.MemoryBarrier();
            if (TryAdmit(segment.Count))
            {
                await WriteAdmittedAsync(segment, cancellationToken).ConfigureAwait(LoopContext.IsCurrent);
                return;
            }

            await room.WaitAsync(cancellationToken).ConfigureAwait(LoopContext.IsCurrent);
        }
    }

    private void WakeWriters()
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            room = _room;
            _room = null;
        }

        room?.TrySetResult();
    }
}
