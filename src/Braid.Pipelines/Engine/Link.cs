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

    /// <summary>The most items the buffer can hold.</summary>
    public long MaxItems => (long)SegmentSize * Segments;
}

/// <summary>The untyped face of a link: how many items wait in it.</summary>
internal abstract class LinkBase
{
    private long _queued;

    public long Queued => Volatile.Read(ref _queued);

    public void Enqueued(int count) => Interlocked.Add(ref _queued, count);

    public void Dequeued(int count) => Interlocked.Add(ref _queued, -count);
}

/// <summary>A bounded channel of segments between two stages (or the last stage and the consumer).</summary>
internal sealed class Link<T> : LinkBase
{
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
}
