using System.Threading.Channels;

namespace Braid.Web.Events;

/// <summary>
/// One connected client of the event stream: a bounded buffer of events not yet written, filled by the
/// hub and drained by the client's response loop. When the hub finds the buffer full the client is
/// dropped: the buffer is completed with the reason and <see cref="Dropped"/> is cancelled, which
/// also cancels a write stuck on a client that does not read.
/// </summary>
internal sealed class EventSubscriber : IDisposable
{
    private readonly Channel<EventRecord> _buffer;
    private readonly CancellationTokenSource _dropped = new();
    private string? _dropReason;

    public EventSubscriber(long id, int capacity, IReadOnlyList<EventRecord> replay, EventRecord? reset)
    {
        Id = id;
        Capacity = capacity;
        Replay = replay;
        Reset = reset;
        _buffer = Channel.CreateBounded<EventRecord>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite answers false when full; nothing waits
        });
    }

    public long Id { get; }

    public int Capacity { get; }

    /// <summary>Retained events after the client's <c>Last-Event-ID</c>, to write before the live ones.</summary>
    public IReadOnlyList<EventRecord> Replay { get; }

    /// <summary>The reset event to write first, when the client's <c>Last-Event-ID</c> could not be resumed; otherwise null.</summary>
    public EventRecord? Reset { get; }

    public ChannelReader<EventRecord> Reader => _buffer.Reader;

    /// <summary>Cancelled when the hub drops this client.</summary>
    public CancellationToken Dropped => _dropped.Token;

    /// <summary>Why the hub dropped this client; null while it has not.</summary>
    public string? DropReason => Volatile.Read(ref _dropReason);

    /// <summary>Events waiting in the buffer.</summary>
    public int Buffered => _buffer.Reader.Count;

    /// <summary>Puts an event in the buffer; false when it is full. Never waits.</summary>
    public bool TryEnqueue(EventRecord record) => _buffer.Writer.TryWrite(record);

    /// <summary>Puts a heartbeat in the buffer unless it is full (then events are waiting, and they keep the connection alive).</summary>
    public void TryHeartbeat() => _buffer.Writer.TryWrite(EventRecord.Heartbeat);

    /// <summary>Marks the client dropped and stops its writes. Call outside the hub's lock: cancelling runs the write's cancellation callbacks.</summary>
    public void Drop(string reason)
    {
        if (Interlocked.CompareExchange(ref _dropReason, reason, null) is null)
        {
            _buffer.Writer.TryComplete();
            _dropped.Cancel();
        }
    }

    // The drop source is not disposed: the hub may drop this client (outside its lock) just as the
    // client's response ends, and a source without a timer holds nothing that needs releasing.
    public void Dispose() => _buffer.Writer.TryComplete();
}
