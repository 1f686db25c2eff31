namespace Braid.Web.Internal;

/// <summary><c>/health</c>'s answer.</summary>
internal sealed record HealthResult(string Status, int EventClients, long LastEventId);
