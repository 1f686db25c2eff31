using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// The target of bench/load-vs-wrk.sh and of docs/load.md's examples (issue 15), on 127.0.0.1:
//   GET /        answers "ok" (the trivial endpoint wrk and `braid load` are compared on)
//   GET /stall   holds requests that arrive in the first 100 ms of each second until that 100 ms is over
//   GET /stall-long  the benchmark case: holds requests that arrive in the first second of every
//                ten until that second is over (a server that stalls 1 s every 10 s)
//   GET /events  server-sent events: one every 100 ms to every client, with an id and the send time as data
// The port is the first argument (0, the default, picks a free one); the bound URL is printed on the
// first line of standard output once Kestrel listens.
var port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 0;
var origin = Stopwatch.GetTimestamp();
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
var app = builder.Build();
app.MapGet("/", () => "ok");
app.MapGet("/stall", () => Stall(origin, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)));
app.MapGet("/stall-long", () => Stall(origin, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)));
app.MapGet("/events", (CancellationToken token) => TypedResults.ServerSentEvents(Events(origin, token)));
await app.StartAsync();
Console.WriteLine(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
await app.WaitForShutdownAsync();

// Holds a request that arrives in the first `stall` of each `period` until that stall is over.
static async Task<string> Stall(long origin, TimeSpan stall, TimeSpan period)
{
    var phase = Stopwatch.GetElapsedTime(origin).Ticks % period.Ticks;
    if (phase < stall.Ticks)
    {
        await Task.Delay(TimeSpan.FromTicks(stall.Ticks - phase));
    }

    return "ok";
}

static async IAsyncEnumerable<SseItem<string>> Events(long origin, [EnumeratorCancellation] CancellationToken token)
{
    // Every stream wakes on the same 100 ms boundaries, so an id is one event broadcast to all clients.
    const long period = TimeSpan.TicksPerMillisecond * 100;
    var id = Stopwatch.GetElapsedTime(origin).Ticks / period;
    while (true)
    {
        // Boundaries missed while late are skipped; a timer that fires early never sends one twice.
        id = Math.Max(id + 1, Stopwatch.GetElapsedTime(origin).Ticks / period);
        var wait = (id * period) - Stopwatch.GetElapsedTime(origin).Ticks;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromTicks(wait), token);
        }

        yield return new SseItem<string>(DateTimeOffset.UtcNow.ToString("O"), "time") { EventId = id.ToString(CultureInfo.InvariantCulture) };
    }
}
