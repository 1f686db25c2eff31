using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

// dotnet Braid.SseClients.dll --url http://127.0.0.1:PORT --clients 1000 [--seconds 10] [--server-pid PID]
// Opens the clients (raw sockets, a 4 KiB read buffer each), waits until every one has its 'retry'
// line, records the server's RSS (VmRSS of --server-pid) before and after, then reads time events for
// --seconds and reports each event's lag: the client's receive time minus the time in the event.
var options = Args(args);
var url = new Uri(options.GetValueOrDefault("--url") ?? throw new ArgumentException("--url is required"));
var clients = int.Parse(options.GetValueOrDefault("--clients") ?? "1000", CultureInfo.InvariantCulture);
var seconds = double.Parse(options.GetValueOrDefault("--seconds") ?? "10", CultureInfo.InvariantCulture);
var totalClients = int.Parse(options.GetValueOrDefault("--total-clients") ?? clients.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
var connectLimit = int.Parse(options.GetValueOrDefault("--connecting") ?? "100", CultureInfo.InvariantCulture);
using var connecting = new SemaphoreSlim(connectLimit); // at most this many in the listen backlog at once
int? serverPid = options.TryGetValue("--server-pid", out var pidText) ? int.Parse(pidText, CultureInfo.InvariantCulture) : null;

var before = Rss(serverPid);
var connected = 0;
var settled = 0;
var allConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var lags = new List<double>[clients];
var failures = 0;
using var stop = new CancellationTokenSource();
var clock = Stopwatch.StartNew();
var tasks = new Task[clients];
for (var i = 0; i < clients; i++)
{
    var index = i;
    lags[index] = [];
    tasks[i] = Task.Run(() => RunClientAsync(index));
}

using (var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
{
    await allConnected.Task.WaitAsync(guard.Token);
}

var connectSeconds = clock.Elapsed.TotalSeconds;
GC.Collect();
var after = Rss(serverPid);
Console.WriteLine($"clients: {connected} of {clients} connected in {connectSeconds:F2} s, failures {failures}");
if (before is { } b && after is { } a)
{
    Console.WriteLine($"server RSS: {b / 1024.0:F1} MiB before, {a / 1024.0:F1} MiB with the clients, {(a - b) / (double)totalClients:F1} KiB per client of {totalClients} (--total-clients: all processes')");
}

await Task.Delay(TimeSpan.FromSeconds(seconds));
await stop.CancelAsync();
await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
var all = lags.SelectMany(l => l).Order().ToArray();
if (all.Length > 0)
{
    double P(double q) => all[Math.Min(all.Length - 1, (int)(q * all.Length))];
    Console.WriteLine($"events: {all.Length} ({all.Length / (double)clients:F1} per client); lag ms p50 {P(0.5):F2} p99 {P(0.99):F2} max {all[^1]:F2}");
}

async Task RunClientAsync(int index)
{
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    var holding = false;
    var counted = false;
    try
    {
        await connecting.WaitAsync(stop.Token);
        holding = true;
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(url.Host), url.Port), stop.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /events HTTP/1.1\r\nHost: {url.Authority}\r\n\r\n"), SocketFlags.None, stop.Token);
        var buffer = new byte[4096];
        var pending = new StringBuilder();
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
            if (n == 0)
            {
                return;
            }

            var now = DateTimeOffset.UtcNow;
            pending.Append(Encoding.UTF8.GetString(buffer, 0, n));
            var text = pending.ToString();
            if (!counted && text.Contains("retry:", StringComparison.Ordinal))
            {
                counted = true;
                connecting.Release();
                holding = false;
                Interlocked.Increment(ref connected);
                Settled();
            }

            // Chunked transfer encoding interleaves chunk sizes; the data lines are still whole lines.
            var end = text.LastIndexOf('\n');
            foreach (var line in text[..(end + 1)].Split('\n'))
            {
                if (line.StartsWith("data: {\"time\"", StringComparison.Ordinal))
                {
                    using var json = JsonDocument.Parse(line["data: ".Length..]);
                    var sent = json.RootElement.GetProperty("time").GetDateTimeOffset();
                    lags[index].Add((now - sent).TotalMilliseconds);
                }
            }

            pending.Clear().Append(text[(end + 1)..]);
        }
    }
    catch (OperationCanceledException)
    {
    }
    catch (SocketException)
    {
        Interlocked.Increment(ref failures);
        if (!counted)
        {
            Settled(); // a client that failed before its retry line will not come
        }
    }
    finally
    {
        if (holding)
        {
            connecting.Release();
        }
    }
}

void Settled()
{
    if (Interlocked.Increment(ref settled) == clients)
    {
        allConnected.TrySetResult();
    }
}

static long? Rss(int? pid)
{
    if (pid is null)
    {
        return null;
    }

    var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture); // KiB
}

static Dictionary<string, string> Args(string[] args)
{
    var map = new Dictionary<string, string>();
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        map[args[i]] = args[i + 1];
    }

    return map;
}
