namespace Braid.Load;

/// <summary>
/// What a load run does (docs/load.md). Exactly one model: <see cref="Rate"/> set is the open model
/// (constant arrival rate), <see cref="SseClients"/> set is the server-sent-events mode, neither is the
/// closed model (<see cref="Connections"/> clients, each sending its next request when the last one ends).
/// A run is bounded by <see cref="Duration"/> or <see cref="Requests"/> (the SSE mode by duration only).
/// </summary>
public sealed record LoadOptions
{
    /// <summary>The URL every request gets (HTTP GET).</summary>
    public required Uri Target { get; init; }

    /// <summary>Open model: requests started per second, at evenly spaced intended times; null for the closed model.</summary>
    public double? Rate { get; init; }

    /// <summary>
    /// Connections, so requests in flight at once. Closed model: the number of clients. Open model: the
    /// most requests in flight; a request whose intended time comes while all are busy waits for one (its
    /// latency counts the wait), up to <see cref="MaxBacklog"/> waiting. Default 10.
    /// </summary>
    public int Connections { get; init; } = 10;

    /// <summary>Open model: sends that may wait for a connection; one more is dropped (counted, never sent). Default 10,000.</summary>
    public int MaxBacklog { get; init; } = 10_000;

    /// <summary>How long the measured part runs; null when <see cref="Requests"/> bounds it.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>How many measured requests to send; null when <see cref="Duration"/> bounds it.</summary>
    public long? Requests { get; init; }

    /// <summary>Load sent before measuring starts and left out of every figure (connections opened, JIT warmed). Default none.</summary>
    public TimeSpan Warmup { get; init; }

    /// <summary>A request that takes longer fails with the error kind <c>timeout</c>. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>SSE mode: streaming clients to hold open; null for the HTTP models.</summary>
    public int? SseClients { get; init; }

    /// <summary>Whether a host other than loopback may be targeted. Off by default: the refusal happens before any socket opens.</summary>
    public bool AllowRemote { get; init; }

    /// <summary>How often the progress callback is called. Default 1 s.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock that schedules sends, the run's end and progress; latencies are measured on the machine's monotonic clock. Default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The model these options choose.</summary>
    public LoadModel Model => SseClients is not null ? LoadModel.Sse : Rate is not null ? LoadModel.Open : LoadModel.Closed;

    /// <summary>Checks the options without touching the network.</summary>
    /// <returns>Null when they are valid, otherwise one sentence about the first problem.</returns>
    public string? Validate()
    {
        if (!Target.IsAbsoluteUri || (Target.Scheme != Uri.UriSchemeHttp && Target.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(Target.Host))
        {
            return $"'{Target.OriginalString}' is not an http:// or https:// URL";
        }

        if (Rate is { } rate && !(rate > 0 && rate <= 10_000_000))
        {
            return $"the rate must be more than 0 and at most 10000000 requests a second, not {rate}";
        }

        if (Rate is not null && SseClients is not null)
        {
            return "a rate and SSE clients cannot be combined: SSE clients hold streams open, they send no requests at a rate";
        }

        if (SseClients is { } clients && (clients < 1 || clients > 100_000))
        {
            return $"SSE clients must be between 1 and 100000, not {clients}";
        }

        if (Connections < 1 || Connections > 100_000)
        {
            return $"connections must be between 1 and 100000, not {Connections}";
        }

        if (MaxBacklog < 0)
        {
            return $"the backlog must be 0 or more, not {MaxBacklog}";
        }

        if (Duration is null && Requests is null)
        {
            return "a run needs a duration or a number of requests";
        }

        if (Duration is not null && Requests is not null)
        {
            return "give a duration or a number of requests, not both";
        }

        if (Duration is { } duration && duration <= TimeSpan.Zero)
        {
            return $"the duration must be more than 0, not {duration.TotalSeconds:0.###} s";
        }

        if (Requests is { } requests && requests < 1)
        {
            return $"the number of requests must be at least 1, not {requests}";
        }

        if (Requests is not null && SseClients is not null)
        {
            return "the SSE mode is bounded by a duration, not a number of requests";
        }

        if (Warmup < TimeSpan.Zero)
        {
            return $"the warm-up must be 0 or more, not {Warmup.TotalSeconds:0.###} s";
        }

        if (Timeout <= TimeSpan.Zero)
        {
            return $"the timeout must be more than 0, not {Timeout.TotalSeconds:0.###} s";
        }

        if (ProgressInterval <= TimeSpan.Zero)
        {
            return "the progress interval must be more than 0";
        }

        return Internal.TargetCheck.Remote(Target, AllowRemote);
    }
}
