using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Braid.Web.Events;
using Braid.Web.Internal;
using Braid.Web.Time;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Braid.Web;

/// <summary>
/// The app behind <c>braid serve</c>: a Kestrel server with the work endpoints (<c>/blocking</c>,
/// <c>/async</c>, <c>/sync-over-async</c>, <c>/cpu</c>), <c>/health</c> and <c>/events</c>, plus the two
/// loopback services it uses: an HTTP echo service the work endpoints call before and after their
/// work, and an NTP-format UDP time service whose answers become the events (docs/web.md).
/// </summary>
public sealed class WebServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WebApplication _echo;
    private readonly NtpServer _time;
    private readonly EventHub _hub;
    private readonly EchoHook? _hook;
    private readonly HttpClient _client;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CancellationTokenSource _stopTicker = new();
    private Task _ticker = Task.CompletedTask;
    private int _stopped;

    private WebServer(WebApplication app, WebApplication echo, NtpServer time, EventHub hub, EchoHook? hook, HttpClient client, ILoggerFactory loggerFactory, Uri url, Uri echoUrl)
    {
        _loggerFactory = loggerFactory;
        _app = app;
        _echo = echo;
        _time = time;
        _hub = hub;
        _hook = hook;
        _client = client;
        Url = url;
        EchoUrl = echoUrl;
    }

    /// <summary>The app's base address, such as <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Url { get; }

    /// <summary>The echo service's base address (always on loopback); <c>POST /echo</c> answers its body.</summary>
    public Uri EchoUrl { get; }

    /// <summary>The time service's UDP address (always on loopback).</summary>
    public IPEndPoint TimeEndPoint => _time.EndPoint;

    internal EventHub Events => _hub;

    /// <summary>
    /// Starts the time service, the echo service and the app, in that order, each on its own port,
    /// and the ticker that turns the time service's answers into events. If one fails, those already
    /// started are stopped before the exception propagates.
    /// </summary>
    /// <param name="options">The settings (default: <c>braid serve</c>'s).</param>
    /// <param name="cancellationToken">Abandons the start; what was started is stopped.</param>
    /// <returns>The running server, once every port is bound. Dispose it (or call <see cref="StopAsync"/>) to stop.</returns>
    /// <exception cref="ArgumentException">An option is out of range, or the address is not loopback without <see cref="WebServerOptions.AllowNonLoopback"/>; checked before any socket opens.</exception>
    /// <exception cref="IOException">The port cannot be bound (for example, it is in use).</exception>
    public static async Task<WebServer> StartAsync(WebServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WebServerOptions();
        Validate(options);
        var loggerFactory = LoggerFactory.Create(b => options.ConfigureLogging?.Invoke(b));
        NtpServer? time = null;
        WebApplication? echo = null;
        WebApplication? app = null;
        HttpClient? client = null;
        try
        {
            time = NtpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), options.TimeProvider, loggerFactory.CreateLogger("Braid.Web.Time"));
            echo = CreateEcho(options);
            await echo.StartAsync(cancellationToken).ConfigureAwait(false);
            var echoUrl = new Uri(Address(echo), UriKind.Absolute);

            client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), UseProxy = false });
            var hook = options.CallEchoService ? new EchoHook(client, new Uri(echoUrl, "/echo")) : null;
            var hub = new EventHub(options.HistorySize, loggerFactory.CreateLogger("Braid.Web.Events"));
            app = CreateApp(options, hub, hook);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var server = new WebServer(app, echo, time, hub, hook, client, loggerFactory, new Uri(Address(app), UriKind.Absolute), echoUrl);
            server.StartTicker(options, loggerFactory.CreateLogger("Braid.Web.Time"));
            return server;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            if (echo is not null)
            {
                await echo.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await echo.DisposeAsync().ConfigureAwait(false);
            }

            client?.Dispose();
            if (time is not null)
            {
                await time.DisposeAsync().ConfigureAwait(false);
            }

            loggerFactory.Dispose();
            throw;
        }
    }

    /// <summary>What the server has done so far; never waits.</summary>
    /// <returns>A snapshot.</returns>
    public WebServerStatistics GetStatistics() => new(
        _hub.Subscribers,
        _hub.LastId,
        _hub.DroppedClients,
        _hub.Resumed,
        _hub.Resets,
        _hook?.Calls ?? 0,
        _time.Answered,
        _time.Refused);

    /// <summary>
    /// Stops the ticker, then the app (open event streams end cleanly: each response completes), the
    /// echo service and the time service. Calling it again does nothing.
    /// </summary>
    /// <param name="cancellationToken">Cuts the app's graceful shutdown short (open requests are aborted).</param>
    /// <returns>A task that completes when every port is closed.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stopTicker.CancelAsync().ConfigureAwait(false);
        await _ticker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        await _echo.StopAsync(cancellationToken).ConfigureAwait(false);
        await _time.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the server (<see cref="StopAsync"/>) and releases it.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _echo.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
        _stopTicker.Dispose();
        _loggerFactory.Dispose();
    }

    private static void Validate(WebServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options.Address);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        if (options.Port is < 0 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentException($"port {options.Port} is not from 0 to {IPEndPoint.MaxPort}", nameof(options));
        }

        if (!IPAddress.IsLoopback(options.Address) && !options.AllowNonLoopback)
        {
            throw new ArgumentException($"{options.Address} is not a loopback address; other machines could reach the server (allow it explicitly)", nameof(options));
        }

        Positive(options.HeartbeatInterval, "heartbeat interval");
        Positive(options.RetryInterval, "retry interval");
        Positive(options.TimeQueryTimeout, "time query timeout");
        if (options.EventInterval != Timeout.InfiniteTimeSpan)
        {
            Positive(options.EventInterval, "event interval");
        }

        if (options.HistorySize < 1 || options.ClientBufferSize < 1)
        {
            throw new ArgumentException($"history size ({options.HistorySize}) and client buffer size ({options.ClientBufferSize}) must be at least 1", nameof(options));
        }

        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"the {name} must be positive (got {value})", nameof(options));
            }
        }
    }

    private static WebApplicationBuilder CreateBuilder(WebServerOptions options, IPAddress address, int port)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "Braid.Web" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(address, port);
            k.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddMetrics();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(5));
        options.ConfigureLogging?.Invoke(builder.Logging);
        return builder;
    }

    private static WebApplication CreateEcho(WebServerOptions options)
    {
        var builder = CreateBuilder(options, IPAddress.Loopback, 0);
        var echo = builder.Build();
        echo.MapPost("/echo", async (HttpContext context) =>
        {
            context.Response.ContentType = context.Request.ContentType ?? "text/plain";
            await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
        return echo;
    }

    private static WebApplication CreateApp(WebServerOptions options, EventHub hub, EchoHook? hook)
    {
        var builder = CreateBuilder(options, options.Address, options.Port);
        options.ConfigureServices?.Invoke(builder.Services);
        var app = builder.Build();

        var settings = new EventStreamSettings(options.ClientBufferSize, options.HeartbeatInterval, options.RetryInterval, options.TimeProvider);
        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var streamLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Braid.Web.Events");
        app.MapGet("/events", () => new EventStream(hub, settings, streamLogger, stopping));
        app.MapGet("/health", () => Results.Json(new HealthResult("ok", hub.Subscribers, hub.LastId), WebJson.Default.HealthResult));
        WorkEndpoints.Map(app, options.TimeProvider, hook);

        var meter = app.Services.GetRequiredService<IMeterFactory>().Create("Braid.Web");
        meter.CreateObservableUpDownCounter("braid.web.sse.clients", () => hub.Subscribers, "{client}", "Event-stream clients connected");
        meter.CreateObservableCounter("braid.web.sse.events", () => hub.LastId, "{event}", "Events published");
        meter.CreateObservableCounter("braid.web.sse.dropped_clients", () => hub.DroppedClients, "{client}", "Event-stream clients dropped because their buffer was full");
        if (hook is not null)
        {
            meter.CreateObservableCounter("braid.web.echo.calls", () => hook.Calls, "{call}", "Calls to the echo service");
        }

        options.MapEndpoints?.Invoke(app);
        return app;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private void StartTicker(WebServerOptions options, ILogger logger)
    {
        if (options.EventInterval != Timeout.InfiniteTimeSpan)
        {
            _ticker = TickAsync(options, logger, _stopTicker.Token);
        }
    }

    // One time query per interval, each answer one event. A query that fails or times out is logged
    // and skipped: the stream goes on with the next one.
    private async Task TickAsync(WebServerOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var clock = options.TimeProvider;
        while (true)
        {
            await Task.Delay(options.EventInterval, clock, cancellationToken).ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(options.TimeQueryTimeout, clock);
            using var query = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                var reading = await NtpClient.QueryAsync(_time.EndPoint, clock, query.Token).ConfigureAwait(false);
                var data = JsonSerializer.Serialize(new TimeEvent(reading.ServerTime, reading.Offset.TotalMilliseconds, reading.RoundTrip.TotalMilliseconds), WebJson.Default.TimeEvent);
                _hub.Publish("time", data);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("time service: no answer within {Timeout}", options.TimeQueryTimeout);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                logger.LogWarning("time service: query failed: {Error}", e.SocketErrorCode);
            }
        }
    }
}
