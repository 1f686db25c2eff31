using System.CommandLine;
using System.Globalization;
using Braid.Lab.Output;
using Braid.Load;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid load URL</c>: HTTP load against one URL (issue 15, docs/load.md). Parses, checks, calls
/// <see cref="LoadGenerator"/>, renders the summary and writes the reports; the work is the library's.
/// </summary>
internal static class LoadCommand
{
    /// <summary>Exit code of a run stopped by Ctrl-C or SIGTERM, after writing what it measured (128 + SIGINT, as the lab does).</summary>
    internal const int Cancelled = 130;

    /// <summary>The duration when neither <c>--duration</c> nor <c>--requests</c> is given.</summary>
    internal static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        // Optional to the parser, so a missing URL is this command's own sentence (below), not System.CommandLine's.
        var url = new Argument<string>("url") { Description = "The URL to load (HTTP GET); loopback only unless --allow-remote. Example: http://127.0.0.1:5000/", Arity = ArgumentArity.ZeroOrOne };
        url.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !IsHttpUrl(result.Tokens[0].Value, out _))
            {
                result.AddError($"'{result.Tokens[0].Value}' is not an http:// or https:// URL");
            }
        });
        var rate = new Option<double?>("--rate", "-r") { Description = "Open model: requests started per second, whatever the server does; latency is measured from each request's intended start. Example: --rate 500", HelpName = "per-second" }.Number("a number of requests a second");
        var connections = new Option<int?>("--connections", "-c") { Description = "Closed model: clients, each sending its next request when its last ends (the default model, 10 clients). Open model: the most requests in flight (default 10). Example: --connections 50" }.WholeNumber();
        var duration = new Option<TimeSpan?>("--duration", "-d") { Description = "How long to measure (after the warm-up). Default 10s unless --requests. Example: --duration 30s", HelpName = "time" }.Duration();
        var requests = new Option<long?>("--requests", "-n") { Description = "How many measured requests to send, instead of a duration. Example: --requests 10000", HelpName = "count" }
            .Parses("a whole number", (string text, out long? value) =>
            {
                var ok = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n);
                value = ok ? n : null;
                return ok;
            });
        var warmup = new Option<TimeSpan?>("--warmup", "-w") { Description = "Load sent first and left out of every figure. Default 0. Example: --warmup 2s", HelpName = "time" }.Duration();
        var timeout = new Option<TimeSpan?>("--timeout") { Description = "A request slower than this fails as a timeout. Default 10s. Example: --timeout 2s", HelpName = "time" }.Duration();
        var backlog = new Option<int?>("--backlog") { Description = "Open model: sends that may wait for a busy connection; one more is dropped. Default 10000. Example: --backlog 0" }.WholeNumber();
        var sse = new Option<int?>("--sse") { Description = "Server-sent events: hold this many streaming clients for the duration and report the event lag. Example: --sse 1000", HelpName = "clients" }.WholeNumber();
        var json = new Option<string>("--json") { Description = "Write the results as JSON here ('-' for standard output). Example: --json load.json", HelpName = "path" };
        var html = new Option<string>("--html") { Description = "Write the self-contained HTML report (latency over time) here. Example: --html load.html", HelpName = "path" };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow a host other than loopback (refused otherwise, before any connection). Example: --allow-remote" };
        var noProgress = new Option<bool>("--no-progress") { Description = "No progress lines on stderr. Example: --no-progress" };

        var command = new Command("load", "Load one URL with HTTP requests (open model at a rate, or closed model with N connections) or server-sent-events clients, and report throughput, corrected latency percentiles, errors, and whether the generator kept up.")
        {
            url, rate, connections, duration, requests, warmup, timeout, backlog, sse, json, html, allowRemote, noProgress,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            var stdout = parse.InvocationConfiguration.Output;
            var text = parse.GetValue(url) ?? "";
            if (string.IsNullOrWhiteSpace(text))
            {
                return await BadAsync(stderr, "expects a URL to load, such as http://127.0.0.1:5000/");
            }

            if (!IsHttpUrl(text, out var target))
            {
                return await BadAsync(stderr, $"'{text}' is not an http:// or https:// URL");
            }

            var defaults = new LoadOptions { Target = target };
            var options = defaults with
            {
                Rate = parse.GetValue(rate),
                Connections = parse.GetValue(connections) ?? (parse.GetValue(sse) is { } clients ? clients : defaults.Connections),
                Requests = parse.GetValue(requests),
                Duration = parse.GetValue(duration) ?? (parse.GetValue(requests) is null ? DefaultDuration : null),
                Warmup = parse.GetValue(warmup) ?? defaults.Warmup,
                Timeout = parse.GetValue(timeout) ?? defaults.Timeout,
                MaxBacklog = parse.GetValue(backlog) ?? defaults.MaxBacklog,
                SseClients = parse.GetValue(sse),
                AllowRemote = parse.GetValue(allowRemote),
            };

            var outputs = new List<(string Path, Func<LoadResult, string> Render)>();
            var named = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (option, render) in new (Option<string>, Func<LoadResult, string>)[] { (json, LoadReports.ToJson), (html, LoadReports.ToHtml) })
            {
                if (parse.GetResult(option) is { Implicit: false } && parse.GetValue(option) is var path)
                {
                    if (OutputFile.Check(path ?? "") is { } why)
                    {
                        return await BadAsync(stderr, string.IsNullOrWhiteSpace(path) ? $"{option.Name}: expects a file path" : why);
                    }

                    var real = OutputFile.RealPath(path!);
                    if (named.TryGetValue(real, out var other))
                    {
                        return await BadAsync(stderr, $"{other} and {option.Name} name the same file ({path})");
                    }

                    named[real] = option.Name;
                    outputs.Add((path!, render));
                }
            }

            if (parse.GetValue(sse) is not null && parse.GetResult(backlog) is { Implicit: false })
            {
                await stderr.WriteLineAsync("braid load: warning: --backlog does nothing with --sse");
            }

            if (parse.GetValue(rate) is null && parse.GetResult(backlog) is { Implicit: false } && parse.GetValue(sse) is null)
            {
                await stderr.WriteLineAsync("braid load: warning: --backlog does nothing without --rate (the closed model has no backlog)");
            }

            // Options first (no socket for a refused host), then one connection to the target.
            if (await LoadGenerator.CheckAsync(options, cancellationToken) is { } problem)
            {
                return await BadAsync(stderr, problem);
            }

            // A report on standard output: the summary goes to stderr so the two do not mix (rule 97).
            var summary = named.ContainsKey(OutputFile.StandardOutput) ? stderr : stdout;
            var progress = parse.GetValue(noProgress) ? null : new LoadProgressLines(stderr, live: ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
            await stderr.WriteLineAsync("braid load: " + Plan(options));
            LoadResult result;
            try
            {
                result = await LoadGenerator.RunAsync(options, progress is null ? null : progress.Report, cancellationToken);
            }
            finally
            {
                progress?.Finish();
            }

            foreach (var line in LoadReports.Summary(result))
            {
                await summary.WriteLineAsync(line);
            }

            foreach (var (path, render) in outputs)
            {
                try
                {
                    if (path == OutputFile.StandardOutput)
                    {
                        await stdout.WriteAsync(render(result));
                        continue;
                    }

                    await OutputFile.WriteAsync(path, render(result), CancellationToken.None);
                    await summary.WriteLineAsync("wrote " + path);
                }
                catch (Exception e) when (OutputFile.IsFileError(e))
                {
                    return await BadAsync(stderr, $"cannot write {path}: {OutputFile.Reason(e)}");
                }
            }

            return result.Cancelled ? Cancelled : 0;
        });
        return command;
    }

    /// <summary>A duration: a number with a unit (<c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>) or a bare number of seconds.</summary>
    internal static Option<TimeSpan?> Duration(this Option<TimeSpan?> option) =>
        option.Parses("a duration such as 500ms, 10s or 2m", (string text, out TimeSpan? value) =>
        {
            value = ParseDuration(text);
            return value is not null;
        });

    internal static TimeSpan? ParseDuration(string text)
    {
        var t = text.Trim();
        var (number, scale) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (t[..^2], 0.001),
            _ when t.EndsWith('s') || t.EndsWith('S') => (t[..^1], 1.0),
            _ when t.EndsWith('m') || t.EndsWith('M') => (t[..^1], 60.0),
            _ when t.EndsWith('h') || t.EndsWith('H') => (t[..^1], 3600.0),
            _ => (t, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || double.IsNaN(n) || Math.Abs(n * scale) > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return null;
        }

        return TimeSpan.FromSeconds(n * scale);
    }

    private static bool IsHttpUrl(string text, out Uri target) =>
        Uri.TryCreate(text, UriKind.Absolute, out target!) && (target.Scheme == Uri.UriSchemeHttp || target.Scheme == Uri.UriSchemeHttps);

    private static string Plan(LoadOptions o)
    {
        var bound = o.Requests is { } n ? Invariant($"{n} requests") : Invariant($"{o.Duration!.Value.TotalSeconds:0.###} s");
        var warm = o.Warmup > TimeSpan.Zero ? Invariant($" after {o.Warmup.TotalSeconds:0.###} s warm-up") : "";
        return o.Model switch
        {
            LoadModel.Open => Invariant($"{o.Target} at {o.Rate:0.###} requests/s (open model, up to {o.Connections} connection{(o.Connections == 1 ? "" : "s")}) for {bound}{warm}"),
            LoadModel.Closed => Invariant($"{o.Target} with {o.Connections} connection{(o.Connections == 1 ? "" : "s")} (closed model) for {bound}{warm}"),
            _ => Invariant($"{o.Target} with {o.SseClients} SSE client{(o.SseClients == 1 ? "" : "s")} for {bound}{warm}"),
        };
    }

    private static async Task<int> BadAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync("braid load: " + message);
        return CliRunner.BadInput;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
