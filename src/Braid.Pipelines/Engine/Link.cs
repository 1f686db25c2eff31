using System.Threading.Channels;

namespace Braid.Pipelines.Engine;

/// <summary>The shape of the buffer in front of a stage: items per transfer and transfers buffered.</summary>
internal readonly record struct LinkSpec(int SegmentSize, int Segments, bool SingleReader)
{
    /// <summary>A buffer of at least <paramref name="capacity"/> items, moved in transfers of at most <paramref name="batch"/>.</summary>
    public static LinkSpec For(int capacity, int batch, bool singleReader)
    {
        var size = Math.Min(capacity, batch);
        return new LinkSpec(size, (capacity + size - 1) / size, singleReader);
    }

    /// <summary>A writer waiting for room is woken when at most this many segments are buffered: half the buffer.</summary>
    public int LowWater => Segments / 2;

    /// <summary>The most items the buffer can hold.</summary>
    public long MaxItems => (long)SegmentSize * Segments;
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

/// <summary>A bounded channel of segments between two stages (or the last stage and the consumer).</summary>
/// <remarks>
/// Writers write through <see cref="WriteAsync"/>, which waits with hysteresis when the channel is full: a
/// waiting writer is woken when the channel has drained to <see cref="LinkSpec.LowWater"/> segments, not
/// at the first free slot, so it then writes a burst of segments instead of waking once per segment the
/// reader takes (each wake is a thread-pool hand-off, paid by the reader). The bound is unchanged, and no
/// latency is added: the reader has at least half a buffer to read while the writer waits.
/// </remarks>
internal sealed class Link<T> : LinkBase
{
    private readonly object _gate = new();

    // Completed (and cleared) when the channel drains to the low-water mark; shared by every waiting writer.
    private TaskCompletionSource? _room;

    public Link(LinkSpec spec, bool singleWriter)
    {
        Spec = spec;
        Channel = System.Threading.Channels.Channel.CreateBounded<Segment<T>>(new BoundedChannelOptions(spec.Segments)
        {
            SingleReader = spec.SingleReader,
            SingleWriter = singleWriter,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
    }

    public LinkSpec Spec { get; }

    public Channel<Segment<T>> Channel { get; }

    public ChannelReader<Segment<T>> Reader => Channel.Reader;

    public ChannelWriter<Segment<T>> Writer => Channel.Writer;

    /// <summary>
    /// Writes <paramref name="segment"/>; when the channel is full, waits until it has drained to the
    /// low-water mark. Completes synchronously when there is room.
    /// </summary>
    /// <remarks>Cancelled by <paramref name="cancellationToken"/> (the run's token) while it waits; the segment is then not written.</remarks>
    public ValueTask WriteAsync(Segment<T> segment, CancellationToken cancellationToken) =>
        Writer.TryWrite(segment) ? default : WriteSlowAsync(segment, cancellationToken);

    private async ValueTask WriteSlowAsync(Segment<T> segment, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task room;
            lock (_gate)
            {
                if (Writer.TryWrite(segment))
                {
                    return;
                }

                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            // The reader publishes its take (a full fence in Dequeued) before it looks for a waiting writer,
            // and the writer publishes itself before it looks at the count: one of the two sees the other,
            // so a reader that drained the channel while this writer was registering cannot leave it waiting.
            Interlocked.MemoryBarrier();
            if (Channel.Reader.Count <= Spec.LowWater)
            {
                // There is room after all (or the channel was completed, which the channel's own write
                // reports as it always did); a writer that took the room first only makes this one wait
                // for a single slot, as before.
                WakeWriters();
                await Writer.WriteAsync(segment, cancellationToken).ConfigureAwait(LoopContext.IsCurrent);
                return;
            }

            await room.WaitAsync(cancellationToken).ConfigureAwait(LoopContext.IsCurrent);
        }
    }

    public override void Dequeued(int count)
    {
        base.Dequeued(count);
        if (Volatile.Read(ref _room) is not null && Channel.Reader.Count <= Spec.LowWater)
        {
            WakeWriters();
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
