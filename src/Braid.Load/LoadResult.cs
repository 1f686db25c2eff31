namespace Braid.Load;

/// <summary>What a load run measured (warm-up excluded). Serialised by <see cref="LoadReports.ToJson"/>.</summary>
public sealed record LoadResult
{
    /// <summary>The URL loaded.</summary>
    public required string Target { get; init; }

    /// <summary>The model: <c>open</c>, <c>closed</c> or <c>sse</c>.</summary>
    public required string Model { get; init; }

    /// <summary>Open model: the rate asked for, requests a second.</summary>
    public double? Rate { get; init; }

    /// <summary>Connections (closed model: clients; open model: the most in flight).</summary>
    public int Connections { get; init; }

    /// <summary>When the run started (wall clock, UTC).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>The warm-up, in seconds (not measured).</summary>
    public double WarmupS { get; init; }

    /// <summary>The measured part's wall time, in seconds.</summary>
    public double DurationS { get; init; }

    /// <summary>Whether the run was cancelled (Ctrl-C): the figures cover what was measured until then.</summary>
    public bool Cancelled { get; init; }

    /// <summary>Requests sent during warm-up, excluded from every other figure.</summary>
    public long WarmupRequests { get; init; }

    /// <summary>Measured requests sent.</summary>
    public long Sent { get; init; }

    /// <summary>Measured requests that ended (a response or an error).</summary>
    public long Completed { get; init; }

    /// <summary>Responses with a 1xx, 2xx or 3xx status.</summary>
    public long Ok { get; init; }

    /// <summary>Requests that failed: an error status, a timeout, a refused or broken connection.</summary>
    public long Failed { get; init; }

    /// <summary>Open model: sends dropped because <see cref="LoadOptions.MaxBacklog"/> sends already waited for a connection.</summary>
    public long Dropped { get; init; }

    /// <summary>Requests still in flight when a cancelled run stopped (not counted as completed).</summary>
    public long Abandoned { get; init; }

    /// <summary>Completed requests a second.</summary>
    public double ThroughputPerSecond { get; init; }

    /// <summary>Latency of completed requests; in the open model measured from each request's intended start (coordinated omission corrected).</summary>
    public LatencyPercentiles? Latency { get; init; }

    /// <summary>Open model: latency measured from the actual send, as a naive generator reports it; null for the closed model (where it is <see cref="Latency"/>).</summary>
    public LatencyPercentiles? UncorrectedLatency { get; init; }

    /// <summary>Failed requests by kind: <c>status 503</c>, <c>timeout</c>, <c>connection refused</c>, <c>connection reset</c>, ...</summary>
    public IReadOnlyDictionary<string, long> Errors { get; init; } = new Dictionary<string, long>();

    /// <summary>The measured part in slices (at most 120), for the latency-over-time chart.</summary>
    public IReadOnlyList<TimelinePoint> Timeline { get; init; } = [];

    /// <summary>What the generator cost and whether it kept up.</summary>
    public required GeneratorHealth Generator { get; init; }

    /// <summary>SSE mode's figures; null for the HTTP models.</summary>
    public SseResult? Sse { get; init; }
}
