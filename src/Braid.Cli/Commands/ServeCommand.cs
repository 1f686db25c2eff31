using System.CommandLine;
using System.Globalization;
using System.Net;
using Braid.Lab.Output;
using Braid.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid serve</c>: runs <see cref="WebServer"/> until Ctrl-C or SIGTERM (issue 15). Prints the URL as
/// the only line on standard output (and to <c>--url-file</c>), so a parent process reads the address
/// reliably; adds <c>/metrics</c> (Prometheus text through OpenTelemetry's exporter, which is
/// prerelease and so stays out of the packable library). The work is the library's; this file parses
/// and renders.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The meters <c>/metrics</c> exports: the app's, ASP.NET Core's and the runtime's (thread pool threads and queue length).</summary>
    internal static readonly string[] Meters = ["Braid.Web", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];

    public static Command Create()
    {
        var port = new Option<int>("--port")
        {
            Description = "The port to listen on; 0 takes a free one",
            DefaultValueFactory = _ => 0,
        }.Parses("a port (0 to 65535)", (string text, out int value) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= IPEndPoint.MaxPort);
        var host = new Option<IPAddress>("--host")
        {
            Description = "The address to listen on (an IP address or localhost)",
            DefaultValueFactory = _ => IPAddress.Loopback,
            HelpName = "address",
        }.Parses("an IP address or localhost", (string text, out IPAddress value) =>
        {
            value = string.Equals(text, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : IPAddress.TryParse(text, out var parsed) ? parsed : null!;
            return value is not null;
        });
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow a --host that other machines can reach" };
        var urlFile = new Option<string?>("--url-file") { Description = "Also write the URL to this file once the server listens (written whole, then renamed into place)" };
        var heartbeat = new Option<double?>("--heartbeat") { Description = "Seconds between heartbeat comments on /events (default 15)" }.Number("a number of seconds");
        var interval = new Option<double?>("--event-interval") { Description = "Seconds between time events on /events (default 1)" }.Number("a number of seconds");
        var history = new Option<int>("--history")
        {
            Description = "Events kept for Last-Event-ID resumption",
            DefaultValueFactory = _ => 1000,
        }.WholeNumber();
        var buffer = new Option<int>("--client-buffer")
        {
            Description = "Events that may wait for one /events client before it is dropped as too slow",
            DefaultValueFactory = _ => 64,
        }.WholeNumber();
        var noEcho = new Option<bool>("--no-echo") { Description = "The work endpoints do not call the echo service before and after their work" };
        var untilStdinCloses = new Option<bool>("--until-stdin-closes")
        {
            Description = "Also stop when standard input closes (a parent process that dies closes it: no orphan server)",
            Hidden = true,
        };

        var command = new Command("serve", "Run the web app: blocking, async, sync-over-async and CPU-bound endpoints, server-sent events of the time, /health and /metrics.")
        {
            port, host, allowRemote, urlFile, heartbeat, interval, history, buffer, noEcho, untilStdinCloses,
        };
        command.SetAction((parsed, cancellationToken) => RunAsync(
            new Arguments(
                parsed.GetValue(port),
                parsed.GetValue(host)!,
                parsed.GetValue(allowRemote),
                parsed.GetValue(urlFile),
                parsed.GetValue(heartbeat),
                parsed.GetValue(interval),
                parsed.GetValue(history),
                parsed.GetValue(buffer),
                !parsed.GetValue(noEcho),
                parsed.GetValue(untilStdinCloses)),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    /// <summary>The command's parsed arguments.</summary>
    internal sealed record Arguments(
        int Port = 0,
        IPAddress? Host = null,
        bool AllowRemote = false,
        string? UrlFile = null,
        double? Heartbeat = null,
        double? EventInterval = null,
        int History = 1000,
        int ClientBuffer = 64,
        bool Echo = true,
        bool UntilStdinCloses = false);

    /// <summary>
    /// Runs the server until <paramref name="cancellationToken"/> is cancelled (Ctrl-C, SIGTERM), then
    /// stops it and returns 0. Bad input, checked before any socket opens, and a port that cannot be
    /// bound print one line and return <see cref="CliRunner.BadInput"/>.
    /// </summary>
    /// <param name="arguments">The parsed arguments.</param>
    /// <param name="stdout">The URL, one line, once the server listens; nothing else.</param>
    /// <param name="stderr">What runs where, warnings (a dropped client), and errors.</param>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <param name="started">Called with the running server (tests).</param>
    internal static async Task<int> RunAsync(Arguments arguments, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, Func<WebServer, Task>? started = null)
    {
        var host = arguments.Host ?? IPAddress.Loopback;
        if (!IPAddress.IsLoopback(host) && !arguments.AllowRemote)
        {
            return await BadInputAsync(stderr, $"--host {host} is not a loopback address; other machines could reach the server, so pass --allow-remote to mean it");
        }

        if (Seconds(arguments.Heartbeat, "--heartbeat") is { } heartbeatProblem)
        {
            return await BadInputAsync(stderr, heartbeatProblem);
        }

        if (Seconds(arguments.EventInterval, "--event-interval") is { } intervalProblem)
        {
            return await BadInputAsync(stderr, intervalProblem);
        }

        if (arguments.History < 1 || arguments.ClientBuffer < 1)
        {
            return await BadInputAsync(stderr, arguments.History < 1 ? $"--history must be at least 1 (got {arguments.History})" : $"--client-buffer must be at least 1 (got {arguments.ClientBuffer})");
        }

        if (arguments.UrlFile is { } file && (file == OutputFile.StandardOutput ? "--url-file: the URL already goes to standard output" : OutputFile.Check(file)) is { } fileProblem)
        {
            return await BadInputAsync(stderr, fileProblem);
        }

        var options = new WebServerOptions
        {
            Address = host,
            Port = arguments.Port,
            AllowNonLoopback = arguments.AllowRemote,
            CallEchoService = arguments.Echo,
            HistorySize = arguments.History,
            ClientBufferSize = arguments.ClientBuffer,
            ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.Warning).AddProvider(new ServeLog(stderr)),
            ConfigureServices = services => services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(Meters).AddPrometheusExporter()),
            MapEndpoints = app => app.MapPrometheusScrapingEndpoint(),
        };
        if (arguments.Heartbeat is { } heartbeat)
        {
            options.HeartbeatInterval = TimeSpan.FromSeconds(heartbeat);
        }

        if (arguments.EventInterval is { } interval)
        {
            options.EventInterval = TimeSpan.FromSeconds(interval);
        }

        WebServer server;
        try
        {
            server = await WebServer.StartAsync(options, cancellationToken);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return await BadInputAsync(stderr, $"cannot listen on {Endpoint(host, arguments.Port)}: {Reason(e)}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }

        await using (server)
        {
            var url = server.Url.ToString().TrimEnd('/');
            if (arguments.UrlFile is { } path)
            {
                try
                {
                    await OutputFile.WriteAsync(path, url + "\n", CancellationToken.None);
                }
                catch (Exception e) when (OutputFile.IsFileError(e))
                {
                    await stderr.WriteLineAsync($"braid serve: cannot write {path}: {OutputFile.Reason(e)}");
                    return PipelineCommand.Failed;
                }
            }

            await stdout.WriteLineAsync(url);
            await stdout.FlushAsync(CancellationToken.None);
            await stderr.WriteLineAsync($"braid serve: {url} (/blocking /async /sync-over-async /cpu ?ms=20, /events, /health, /metrics); echo service {server.EchoUrl.ToString().TrimEnd('/')}, time service udp://{server.TimeEndPoint}; Ctrl-C stops");
            if (started is not null)
            {
                await started(server);
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (arguments.UntilStdinCloses)
            {
                // A thread of its own, not a pool thread: the pool is what the web experiment measures.
                new Thread(() => StopWhenStdinCloses(stop)) { IsBackground = true, Name = "braid serve: stdin" }.Start();
            }

            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Ctrl-C, SIGTERM, or (with --until-stdin-closes) the parent gone: a server's normal end.
            }

            await server.StopAsync(CancellationToken.None);
            await stderr.WriteLineAsync("braid serve: stopped");
        }

        return 0;
    }

    private static void StopWhenStdinCloses(CancellationTokenSource stop)
    {
        try
        {
            using var input = Console.OpenStandardInput();
            input.CopyTo(Stream.Null);
        }
        catch (IOException)
        {
            // A broken pipe is a closed one.
        }

        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The server already stopped for another reason.
        }
    }

    private static string? Seconds(double? value, string name) =>
        value is { } seconds && (!(seconds > 0) || double.IsInfinity(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            ? $"{name} must be a positive number of seconds (got {seconds.ToString(CultureInfo.InvariantCulture)})"
            : null;

    private static string Endpoint(IPAddress host, int port) => new IPEndPoint(host, port).ToString();

    // Kestrel wraps the socket error: "Failed to bind to address http://127.0.0.1:5000: address already in use."
    private static string Reason(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    System.Net.Sockets.SocketError.AddressAlreadyInUse => "the address is already in use",
                    System.Net.Sockets.SocketError.AddressNotAvailable => "the address is not one of this machine's",
                    System.Net.Sockets.SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                    _ => socket.Message,
                };
            }
        }

        return e.Message.Split('\n')[0].TrimEnd('.');
    }

    private static async Task<int> BadInputAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"braid serve: {message}");
        return CliRunner.BadInput;
    }
}
