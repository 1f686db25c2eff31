namespace Braid.Web;

/// <summary>A snapshot of a running <see cref="WebServer"/> (<see cref="WebServer.GetStatistics"/>).</summary>
/// <param name="EventClients">Event-stream clients connected now.</param>
/// <param name="LastEventId">The id of the last event published (0 before the first).</param>
/// <param name="DroppedClients">Event-stream clients dropped because their buffer was full.</param>
/// <param name="Resumed">Connections that resumed from a <c>Last-Event-ID</c> in the history.</param>
/// <param name="Resets">Connections whose <c>Last-Event-ID</c> could not be resumed and got a <c>reset</c> event.</param>
/// <param name="EchoCalls">Calls the work endpoints' hook made to the echo service.</param>
/// <param name="TimeAnswered">Requests the time service answered.</param>
/// <param name="TimeRefused">Packets the time service dropped as truncated, malformed or not a request.</param>
public sealed record WebServerStatistics(
    int EventClients,
    long LastEventId,
    long DroppedClients,
    long Resumed,
    long Resets,
    long EchoCalls,
    long TimeAnswered,
    long TimeRefused);
