namespace Braid.Web.Internal;

/// <summary>The data of a <c>time</c> event: the time service's answer, and how far and how long away it was.</summary>
internal sealed record TimeEvent(DateTimeOffset Time, double OffsetMs, double RoundTripMs);
