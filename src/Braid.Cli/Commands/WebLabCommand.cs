using System.CommandLine;
using System.Globalization;
using Braid.Lab;
using Braid.Lab.Output;
using Braid.Lab.Web;

namespace Braid.Cli.Commands;

/// <summary><c>braid lab --workload web</c>: parses the web experiment's options, calls <see cref="WebExperiment"/>, renders (issue 15).</summary>
internal static class WebLabCommand
{
    /// <summary>The options of <c>braid lab</c> only the web experiment reads.</summary>
    public sealed record Options(Option<double?> Rate, Option<double?> Duration, Option<string> Endpoints)
    {
        public Option[] All => [Rate, Duration, Endpoints];
    }

    /// <summary>The options of <c>braid lab</c> the web experiment shares with the other workloads.</summary>
    public sealed record Shared(Option<double?> Latency, Option<int?> Concurrency, Option<string> Json, Option<string> Html, Option<string> Trace, Option<bool> Quick, Option<bool> NoProgress);

    public static Options CreateOptions() => new(
        new Option<double?>("--rate") { Description = "web: requests a second sent to each endpoint (open model). Default 100 (--quick 50). Example: --rate 400", HelpName = "per-second" }.Number("a number of requests a second"),
        new Option<double?>("--duration") { Description = "web: seconds of load per endpoint. Default 10 (--quick 3). Example: --duration 30", HelpName = "seconds" }.Number("a number of seconds"),
        new Option<string>("--endpoints") { Description = "web: comma-separated endpoints to load, in order (" + string.Join(", ", WebExperimentOptions.KnownEndpoints) + "). Default: all. Example: --endpoints blocking,async", HelpName = "list" });

    public static async Task<int> RunAsync(ParseResult parse, Options web, Shared shared, IEnumerable<Option> unused, CancellationToken cancellationToken)
    {
        var stderr = parse.InvocationConfiguration.Error;
        var stdout = parse.InvocationConfiguration.Output;
        foreach (var option in unused.Where(o => parse.GetResult(o) is { Implicit: false }))
        {
            await stderr.WriteLineAsync($"braid lab: warning: {option.Name} does nothing here: the {WebExperiment.Name} workload loads the server's endpoints, it runs no lab models or tasks");
        }

        if (parse.GetResult(shared.Trace) is { Implicit: false })
        {
            return Bad(stderr, $"{shared.Trace.Name}: the {WebExperiment.Name} workload writes no such report yet; --json writes everything it measured");
        }

        var options = parse.GetValue(shared.Quick) ? WebExperimentOptions.Quick : new WebExperimentOptions();
        var endpoints = parse.GetValue(web.Endpoints);
        options = options with
        {
            Work = parse.GetValue(shared.Latency) is { } ms ? TimeSpan.FromMilliseconds(ms) : options.Work,
            Connections = parse.GetValue(shared.Concurrency) ?? options.Connections,
            Rate = parse.GetValue(web.Rate) ?? options.Rate,
            Duration = parse.GetValue(web.Duration) is { } s ? (s is > -1e6 and < 1e6 ? TimeSpan.FromSeconds(s) : TimeSpan.MaxValue) : options.Duration,
            Endpoints = endpoints is null ? options.Endpoints : endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => e.ToLowerInvariant()).ToList(),
        };
        if (options.Validate() is { } invalid)
        {
            return Bad(stderr, invalid);
        }

        var outputs = new List<(string Path, Func<WebExperimentResult, string> Render)>();
        foreach (var (option, render) in new (Option<string>, Func<WebExperimentResult, string>)[] { (shared.Json, WebReports.ToJson), (shared.Html, WebReports.ToHtml) })
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                var path = parse.GetValue(option) ?? "";
                if (OutputFile.Check(path) is { } why)
                {
                    return Bad(stderr, string.IsNullOrWhiteSpace(path) ? $"{option.Name}: expects a file path" : why);
                }

                if (outputs.Any(o => OutputFile.RealPath(o.Path) == OutputFile.RealPath(path)))
                {
                    return Bad(stderr, $"{option.Name}: {path} is already another report's destination");
                }

                outputs.Add((path, render));
            }
        }

        // A report on standard output: the text goes to stderr so the two do not mix.
        var report = outputs.Any(o => o.Path == OutputFile.StandardOutput) ? stderr : stdout;
        var showProgress = !parse.GetValue(shared.NoProgress);
        var lastLine = TimeSpan.Zero;
        void Progress(WebProgress p)
        {
            if (!showProgress)
            {
                return;
            }

            if (p.Load is not { } load)
            {
                stderr.WriteLine(Invariant($"braid lab: web: {p.Endpoint} ({p.Index}/{p.Count}): starting braid serve"));
                lastLine = TimeSpan.Zero;
            }
            else if (load.Elapsed - lastLine >= TimeSpan.FromSeconds(1))
            {
                lastLine = load.Elapsed;
                stderr.WriteLine(Invariant($"braid lab: web: {p.Endpoint} {load.Elapsed.TotalSeconds:0} s, {load.Completed} done, {load.Errors} errors, {load.InFlight} in flight"));
            }
        }

        WebExperimentResult result;
        try
        {
            result = await WebExperiment.RunAsync(options, Progress, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException or System.ComponentModel.Win32Exception)
        {
            // The environment (the server binary, a port): one line, no stack trace.
            await stderr.WriteLineAsync($"braid lab: web: {e.Message}");
            return 1;
        }

        await report.WriteAsync(WebReports.ToText(result));
        foreach (var (path, render) in outputs)
        {
            try
            {
                await LabReports.WriteFileAsync(path, render(result), CancellationToken.None);
                await report.WriteLineAsync("wrote " + path);
            }
            catch (Exception e) when (OutputFile.IsFileError(e))
            {
                await stderr.WriteLineAsync($"braid lab: cannot write {path}: {OutputFile.Reason(e)}");
                return CliRunner.BadInput;
            }
        }

        if (result.Cancelled)
        {
            await stderr.WriteLineAsync("braid lab: cancelled; the results above are partial");
            return 130;
        }

        var gone = result.Endpoints.All(r => r.ServerExited);
        var measured = result.Endpoints.Count == options.Endpoints.Count && result.Endpoints.All(r => r.Load.Latency is not null && r.PoolSamples.Count > 0);
        if (!gone || !measured)
        {
            await stderr.WriteLineAsync("braid lab: web: FAILED: " + (!gone ? "a server process outlived its endpoint" : "an endpoint completed no request or has no pool reading"));
            return 1;
        }

        return 0;
    }

    private static int Bad(TextWriter stderr, string message)
    {
        stderr.WriteLine("braid lab: " + message);
        return CliRunner.BadInput;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
