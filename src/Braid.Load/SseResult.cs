namespace Braid.Load;

/// <summary>The SSE mode's figures.</summary>
/// <param name="Clients">Clients asked for.</param>
/// <param name="Connected">Clients whose stream opened (status 200, <c>text/event-stream</c>).</param>
/// <param name="PeakConnected">Most clients connected at once.</param>
/// <param name="Disconnects">Streams the server ended or broke before the run's end.</param>
/// <param name="Events">Events received over the measured part, by all clients.</param>
/// <param name="EventsPerSecond">Events received a second, by all clients.</param>
/// <param name="TimestampedEvents">Events whose data carried a send time (an ISO 8601 date, or a JSON object with a <c>time</c> or <c>timestamp</c> field).</param>
/// <param name="Lag">Receive time minus the event's own send time (wall clock), for timestamped events; null when none had one.</param>
/// <param name="Spread">Fan-out lag: receive time minus the earliest receive time of the same event id by any client (monotonic clock); null when events had no id.</param>
public sealed record SseResult(int Clients, int Connected, int PeakConnected, long Disconnects, long Events, double EventsPerSecond, long TimestampedEvents, LatencyPercentiles? Lag, LatencyPercentiles? Spread);
