using System.Diagnostics;
using System.Globalization;
using Braid.Load;

namespace Braid.Lab.Web;

/// <summary>
/// <c>braid lab --workload web</c>: the sync-versus-async web experiment (docs/lab.md, "The web
/// experiment"). Each endpoint of <c>braid serve</c> (blocking, async, sync-over-async, cpu) gets a
/// fresh server in its own process and the same open-model load from <see cref="LoadGenerator"/>,
/// while the server's thread pool is read from its <c>/metrics</c>; the findings are written from
/// what was measured. It is not a <see cref="LabWorkload"/>: the load, not an execution model of the
/// lab, organises the requests, and what differs is the server's way of waiting.
/// </summary>
public static class WebExperiment
{
    /// <summary>Its name on the command line: <c>braid lab --workload web</c>.</summary>
    public const string Name = "web";

    /// <summary>Runs the experiment.</summary>
    /// <param name="options">What to load, and how; checked with <see cref="WebExperimentOptions.Validate"/>.</param>
    /// <param name="progress">Called when an endpoint's server starts and about once a second during its load, never concurrently with itself.</param>
    /// <param name="cancellationToken">
    /// Stops the run: the endpoint under load returns what was measured until then, the rest are not
    /// run, and the result has <see cref="WebExperimentResult.Cancelled"/> set; it never throws for it.
    /// Every server process is killed with its tree and waited for however the run ends.
    /// </param>
    /// <returns>The result. Never completes synchronously.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">A server process did not start, or its <c>/metrics</c> has no thread pool figures.</exception>
    public static async Task<WebExperimentResult> RunAsync(WebExperimentOptions options, Action<WebProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        var command = options.ServerCommand ?? ServeProcess.DefaultCommand();
        var results = new List<WebEndpointResult>();
        var cancelled = false;
        for (var i = 0; i < options.Endpoints.Count && !cancelled; i++)
        {
            var endpoint = options.Endpoints[i];
            progress?.Invoke(new WebProgress(endpoint, i + 1, options.Endpoints.Count, null));
            try
            {
                var result = await RunEndpointAsync(options, command, endpoint, load => progress?.Invoke(new WebProgress(endpoint, i + 1, options.Endpoints.Count, load)), cancellationToken).ConfigureAwait(false);
                results.Add(result);
                cancelled = result.Load.Cancelled;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
            }
        }

        return new WebExperimentResult(options, results, WebFindings.Write(options, results), cancelled || cancellationToken.IsCancellationRequested, ReadLoadAverage());
    }

    private static async Task<WebEndpointResult> RunEndpointAsync(WebExperimentOptions options, IReadOnlyList<string> command, string endpoint, Action<LoadProgress> progress, CancellationToken cancellationToken)
    {
        // A fresh server per endpoint: no endpoint inherits the pool threads another one made (design rule 85).
        var server = await ServeProcess.StartAsync(command, cancellationToken).ConfigureAwait(false);
        LoadResult load;
        var samples = new List<PoolSample>();
        try
        {
            var ms = (int)options.Work.TotalMilliseconds;
            var target = new Uri(server.Url, string.Create(CultureInfo.InvariantCulture, $"/{endpoint}?ms={ms}"));
            var metrics = new Uri(server.Url, "/metrics");
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

            // Warm-up: a few requests one at a time, so the JIT is done but the pool has not grown.
            for (var w = 0; w < 3; w++)
            {
                using var response = await client.GetAsync(target, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
            }

            if (ParseMetrics(await client.GetStringAsync(metrics, cancellationToken).ConfigureAwait(false)) is null)
            {
                throw new InvalidOperationException($"{metrics} has no thread pool figures (dotnet_thread_pool_thread_count, dotnet_thread_pool_queue_length)");
            }

            var started = Stopwatch.GetTimestamp();
            using var stopPolling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var polling = PollAsync(client, metrics, server.ProcessId, started, options.PollInterval, samples, stopPolling.Token);
            try
            {
                load = await LoadGenerator.RunAsync(
                    new LoadOptions { Target = target, Rate = options.Rate, Connections = options.Connections, Duration = options.Duration },
                    progress,
                    cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await stopPolling.CancelAsync().ConfigureAwait(false);
                await polling.ConfigureAwait(false);
            }
        }
        finally
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        return new WebEndpointResult(endpoint, load, samples, server.StartMs, server.ProcessId, server.Exited);
    }

    /// <summary>Reads the server's pool every interval, one reading at a time, until stopped; a reading that fails is skipped.</summary>
    private static async Task PollAsync(HttpClient client, Uri metrics, int pid, long started, TimeSpan interval, List<PoolSample> samples, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                var asked = Stopwatch.GetTimestamp();
                try
                {
                    var text = await client.GetStringAsync(metrics, cancellationToken).ConfigureAwait(false);
                    if (ParseMetrics(text) is var (threads, queue))
                    {
                        var now = Stopwatch.GetTimestamp();
                        samples.Add(new PoolSample(
                            Stopwatch.GetElapsedTime(started, now).TotalSeconds,
                            threads,
                            queue,
                            ReadProcessThreads(pid),
                            Stopwatch.GetElapsedTime(asked, now).TotalMilliseconds));
                    }
                }
                catch (HttpRequestException)
                {
                    // The next reading may succeed; a gap in the samples shows this one did not.
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the endpoint's load is over.
        }
    }

    /// <summary>The pool's thread count and queue length in Prometheus text, or null when either is missing.</summary>
    internal static (int Threads, long Queue)? ParseMetrics(string text)
    {
        double? threads = null, queue = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("dotnet_thread_pool_thread_count", StringComparison.Ordinal))
            {
                threads = LastNumber(line);
            }
            else if (line.StartsWith("dotnet_thread_pool_queue_length", StringComparison.Ordinal))
            {
                queue = LastNumber(line);
            }
        }

        return threads is { } t && queue is { } q ? ((int)t, (long)q) : null;
    }

    private static double? LastNumber(string line)
    {
        var parts = line.TrimEnd().Split(' ');
        return parts.Length >= 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    private static int? ReadProcessThreads(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Threads:", StringComparison.Ordinal));
            return line is not null && int.TryParse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadLoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
