using System.Diagnostics;
using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Braid.Load.Tests;

/// <summary>
/// A small real Kestrel server on 127.0.0.1, port 0: <c>/ok</c> (counts its hits), <c>/fail</c> (500),
/// <c>/slow</c> (answers after 5 s), <c>/chunked</c> (a 23 KB chunked body), <c>/close</c> (closes the
/// connection after each response), <c>/empty</c> (204), <c>/stall</c> (holds every request that arrives in the first 100 ms of
/// each second until that 100 ms is over, as a server stalling 100 ms every 1 s), <c>/events</c> (an SSE
/// stream: an event every 20 ms with an id and the send time as data).
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    public static readonly TimeSpan StallPeriod = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(100);

    private readonly WebApplication _app;
    private readonly long _origin = Stopwatch.GetTimestamp();
    private long _hits;

    private TestServer(WebApplication app) => _app = app;

    public long Hits => Interlocked.Read(ref _hits);

    public Uri BaseAddress { get; private set; } = null!;

    public Uri Url(string path) => new(BaseAddress, path);

    public static async Task<TestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new TestServer(app);
        app.MapGet("/ok", () =>
        {
            Interlocked.Increment(ref server._hits);
            return "ok";
        });
        app.MapGet("/fail", () => Results.StatusCode(500));
        app.MapGet("/chunked", async (HttpContext context) =>
        {
            // No length: Kestrel sends the body chunked, here in three chunks with a flush between.
            Interlocked.Increment(ref server._hits);
            await context.Response.WriteAsync(new string('a', 3000));
            await context.Response.Body.FlushAsync();
            await context.Response.WriteAsync(new string('b', 20000));
            await context.Response.Body.FlushAsync();
            await context.Response.WriteAsync("end");
        });
        app.MapGet("/close", (HttpContext context) =>
        {
            Interlocked.Increment(ref server._hits);
            context.Response.Headers.Connection = "close";
            return "bye";
        });
        app.MapGet("/empty", () =>
        {
            Interlocked.Increment(ref server._hits);
            return Results.NoContent();
        });
        app.MapGet("/slow", async (CancellationToken token) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), token);
            return "late";
        });
        app.MapGet("/stall", async () =>
        {
            var phase = Stopwatch.GetElapsedTime(server._origin).Ticks % StallPeriod.Ticks;
            if (phase < Stall.Ticks)
            {
                await Task.Delay(TimeSpan.FromTicks(Stall.Ticks - phase));
            }

            return "ok";
        });
        app.MapGet("/events", (CancellationToken token) => TypedResults.ServerSentEvents(server.EventsAsync(token)));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // One shared sequence of ids, so every client sees the same id for the same tick.
    private async IAsyncEnumerable<SseItem<string>> EventsAsync([EnumeratorCancellation] CancellationToken token)
    {
        // Every stream wakes on the same 20 ms boundaries, so an id is one event broadcast to all clients.
        var period = TimeSpan.FromMilliseconds(20).Ticks;
        var tick = Stopwatch.GetElapsedTime(_origin).Ticks / period;
        while (true)
        {
            // Boundaries missed while late are skipped; a timer that fires early never sends one twice.
            tick = Math.Max(tick + 1, Stopwatch.GetElapsedTime(_origin).Ticks / period);
            var wait = (tick * period) - Stopwatch.GetElapsedTime(_origin).Ticks;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromTicks(wait), token);
            }

            yield return new SseItem<string>(DateTimeOffset.UtcNow.ToString("O"), "time") { EventId = tick.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }
    }
}
