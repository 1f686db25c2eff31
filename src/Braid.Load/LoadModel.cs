namespace Braid.Load;

/// <summary>How a load run makes its load (docs/load.md).</summary>
public enum LoadModel
{
    /// <summary>Closed: N clients, each sending its next request when its last one ends; throughput follows the server.</summary>
    Closed,

    /// <summary>Open: requests start at a constant rate whatever the server does; latency is measured from each request's intended start.</summary>
    Open,

    /// <summary>Server-sent events: N clients hold a stream open; the event lag is measured.</summary>
    Sse,
}
