namespace Braid.Web.Events;

/// <summary>What every client's stream shares: buffer size, heartbeat and retry intervals, the clock.</summary>
internal sealed record EventStreamSettings(int ClientBufferSize, TimeSpan HeartbeatInterval, TimeSpan RetryInterval, TimeProvider TimeProvider);
