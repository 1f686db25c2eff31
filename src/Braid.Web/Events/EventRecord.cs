namespace Braid.Web.Events;

/// <summary>One published event, kept in the history and handed to every client's buffer; or the heartbeat marker.</summary>
internal sealed class EventRecord(long id, string type, string data)
{
    /// <summary>The marker a client's heartbeat timer puts in its buffer; written as a comment line.</summary>
    public static readonly EventRecord Heartbeat = new(-1, "", "");

    public long Id { get; } = id;

    public string Type { get; } = type;

    public string Data { get; } = data;
}
