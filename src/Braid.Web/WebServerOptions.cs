using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Braid.Web;

/// <summary>How <see cref="WebServer.StartAsync"/> sets up the app, its echo service and its time service. The defaults are those of <c>braid serve</c>.</summary>
public sealed class WebServerOptions
{
    /// <summary>The address the app listens on. Default 127.0.0.1; any non-loopback address needs <see cref="AllowNonLoopback"/> (docs/design.md rule 130).</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>The app's port; 0 (the default) takes a free one, read from <see cref="WebServer.Url"/>.</summary>
    public int Port { get; set; }

    /// <summary>Allows <see cref="Address"/> to be one other machines can reach. Default false. The echo and time services always stay on loopback.</summary>
    public bool AllowNonLoopback { get; set; }

    /// <summary>Whether the work endpoints call the echo service before and after their work (default true).</summary>
    public bool CallEchoService { get; set; } = true;

    /// <summary>How often the time service is asked for the time, each answer being one <c>time</c> event (default 1 s). <see cref="Timeout.InfiniteTimeSpan"/> publishes nothing.</summary>
    public TimeSpan EventInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a time query may take before it is given up (default 1 s); a lost query publishes no event.</summary>
    public TimeSpan TimeQueryTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each event-stream client gets a heartbeat comment (default 15 s).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The <c>retry</c> interval sent to each event-stream client (default 3 s).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How many of the latest events are kept for <c>Last-Event-ID</c> resumption (default 1,000).</summary>
    public int HistorySize { get; set; } = 1000;

    /// <summary>How many events may wait for one event-stream client before it is dropped as too slow (default 64).</summary>
    public int ClientBufferSize { get; set; } = 64;

    /// <summary>The clock of the time service, the event ticker, the heartbeats and the async work (default the system clock).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Adds services to the app (for example a metrics exporter); called once, before the app is built.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Maps extra endpoints (for example <c>/metrics</c>); called once, after the built-in ones.</summary>
    public Action<IEndpointRouteBuilder>? MapEndpoints { get; set; }

    /// <summary>Sets up logging for the app and its services (default: no logging).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}
