using System.CommandLine;
using System.Globalization;
using Braid.Lab;
using Braid.Lab.Output;
using Braid.Lab.Web;
using Spectre.Console;

namespace Braid.Cli.Commands;

/// <summary><c>braid lab</c>: one workload, every execution model, measured (issue 5). Parses, calls <see cref="LabRunner"/>, renders.</summary>
internal static class LabCommand
{
    public static Command Create()
    {
        var workloadNames = LabCatalog.Workloads.Select(w => w.Name).ToList();
        var modelNames = LabCatalog.Models.Select(m => m.Name).ToList();
        var workload = new Option<string>("--workload", "-w") { Description = "The work: " + string.Join(", ", LabCatalog.Workloads.Select(w => $"{w.Name} ({w.Description})")) + $", or {WebExperiment.Name} (the sync-versus-async web experiment: each braid serve endpoint under the same load, not one workload under every model). Default {new LabOptions().Workload.Name}. Example: --workload cpu" }.OneOf([.. workloadNames, WebExperiment.Name]);
        var models = new Option<IReadOnlyList<LabModel>>("--models", "-m") { Description = "Comma-separated models to run, in order (" + string.Join(", ", modelNames) + "). Default: all, in the order " + string.Join(",", LabCatalog.DefaultModels) + ". Example: --models sequential,async", HelpName = "list" }.ListOf<LabModel>(modelNames, FindModel);
        var tasks = new Option<int?>("--tasks", "-n") { Description = $"Tasks per model (1 to {LabOptions.MaxTasks}). Default 200. Example: --tasks 500" }.WholeNumber();
        var latency = new Option<double?>("--latency") { Description = "io: the server's latency per request, in ms; web: each request's work (?ms=). Default 50. Example: --latency 100", HelpName = "ms" }.Number("a number of milliseconds");
        var jitter = new Option<double?>("--jitter") { Description = "io: extra latency per request, uniform in [0, jitter) ms, fixed per record. Default 0. Example: --jitter 20", HelpName = "ms" }.Number("a number of milliseconds");
        var failureRate = new Option<double?>("--failure-rate") { Description = "io: fraction of requests that fail with HTTP 500 (0 to 1). Default 0. Example: --failure-rate 0.05", HelpName = "fraction" }.Number("a number from 0 to 1");
        var cpuSize = new Option<int?>("--cpu-size") { Description = "cpu and mixed: pi-series terms per task (distances scale with it). Default 100000. Example: --cpu-size 1000000", HelpName = "terms" }.WholeNumber();
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "The limit of tasks at once for the async-bounded model and the pool model (its threads); web: the load's connections (default 50, --quick 10). Default 50. Example: --concurrency 10" }.WholeNumber();
        var repeats = new Option<int?>("--repeats", "-r") { Description = "Runs per model; the median run is reported. Default 1. Example: --repeats 3" }.WholeNumber();
        var workers = new Option<int?>("--workers") { Description = "Worker processes of the processes model. Default: processor count (at least 2). Example: --workers 4" }.WholeNumber();
        var connections = new Option<string>("--db-connections") { Description = "db: a fresh connection per query, or pooled connections. Default fresh. Example: --db-connections pooled", HelpName = "fresh|pooled" }.OneOf("fresh", "pooled");
        var seed = new Option<int?>("--seed") { Description = "Picks the jitter and the failing records. Default 1. Example: --seed 7" }.WholeNumber();
        var html = new Option<string>("--html") { Description = "Write the self-contained HTML report here. Example: --html lab.html", HelpName = "path" };
        var json = new Option<string>("--json") { Description = "Write the JSON results here (schema: docs/lab-results.schema.json). Example: --json lab.json", HelpName = "path" };
        var trace = new Option<string>("--trace") { Description = "Write a Chrome/Perfetto trace of every task here. Example: --trace lab.trace.json", HelpName = "path" };
        var quick = new Option<bool>("--quick", "-q") { Description = "Small sizes for CI and a first look (40 tasks, 20 ms, 20000 terms, limit 20); explicit options still win. Example: --quick" };
        var noProgress = new Option<bool>("--no-progress") { Description = "No live progress display (it is off anyway when output is redirected). Example: --no-progress" };
        var web = WebLabCommand.CreateOptions();

        var command = new Command("lab", "Run one workload under every execution model (" + string.Join(", ", modelNames) + ") and measure each: wall time, latency percentiles, CPU, memory, threads, context switches, allocations.")
        {
            workload, models, tasks, latency, jitter, failureRate, cpuSize, concurrency, repeats, workers, connections, seed, html, json, trace, quick, noProgress,
        };
        foreach (var option in web.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var stderr = parse.InvocationConfiguration.Error;
            if (parse.GetValue(workload) == WebExperiment.Name)
            {
                Option[] unusedByWeb = [models, tasks, jitter, failureRate, cpuSize, repeats, workers, connections, seed];
                return await WebLabCommand.RunAsync(parse, web, new WebLabCommand.Shared(latency, concurrency, json, html, trace, quick, noProgress), unusedByWeb, cancellationToken);
            }

            foreach (var option in web.All)
            {
                if (parse.GetResult(option) is { Implicit: false })
                {
                    await stderr.WriteLineAsync($"braid lab: warning: {option.Name} does nothing here: only the {WebExperiment.Name} workload reads it");
                }
            }

            var defaults = parse.GetValue(quick) ? LabOptions.Quick : new LabOptions();
            var options = defaults;
            var db = parse.GetValue(connections);
            foreach (var (name, value) in new[] { ("latency", parse.GetValue(latency)), ("jitter", parse.GetValue(jitter)) })
            {
                if (value is { } ms && !(ms >= 0 && ms <= 10_000))
                {
                    return Bad(stderr, Invariant($"{name} must be between 0 and 10000 ms, not {ms}"));
                }
            }

            options = options with
            {
                Workload = LabCatalog.TryFindWorkload(parse.GetValue(workload), out var chosen) ? chosen : options.Workload,
                Models = parse.GetValue(models) ?? options.Models,
                Tasks = parse.GetValue(tasks) ?? options.Tasks,
                Latency = parse.GetValue(latency) is { } l ? Milliseconds(l) : options.Latency,
                Jitter = parse.GetValue(jitter) is { } j ? Milliseconds(j) : options.Jitter,
                FailureRate = parse.GetValue(failureRate) ?? options.FailureRate,
                CpuSize = parse.GetValue(cpuSize) ?? options.CpuSize,
                Concurrency = parse.GetValue(concurrency) ?? options.Concurrency,
                Repeats = parse.GetValue(repeats) ?? options.Repeats,
                Workers = parse.GetValue(workers) ?? options.Workers,
                PooledConnections = db == "pooled",
                Seed = parse.GetValue(seed) ?? options.Seed,
            };

            // The default models, less any the workload refuses (sqlite-single and processes): a note, not an error.
            // A refused model named in --models is bad input (exit 2), from Validate.
            if (parse.GetValue(models) is null && options.Models.Where(m => options.Workload.CannotRunIn(m) is not null).ToList() is { Count: > 0 } refused)
            {
                foreach (var model in refused)
                {
                    await stderr.WriteLineAsync($"braid lab: note: left out of the default models: {options.Workload.CannotRunIn(model)}");
                }

                options = options with { Models = [.. options.Models.Except(refused)] };
            }

            if (options.Validate() is { } invalid)
            {
                return Bad(stderr, invalid);
            }

            // Options that do nothing for this workload or these models: a warning, and the run goes on.
            // What each model and workload reads is its own LabSettings; the catalog names who reads one.
            var settings = options.Models.Aggregate(options.Workload.Settings, (all, m) => all | m.Settings);
            var unused = new (Option Option, LabSettings Setting)[]
            {
                (latency, LabSettings.Requests), (jitter, LabSettings.Requests), (failureRate, LabSettings.Requests), (cpuSize, LabSettings.CpuSize),
                (connections, LabSettings.Connections), (workers, LabSettings.Workers), (concurrency, LabSettings.Concurrency),
            };
            foreach (var (option, setting) in unused)
            {
                if (!settings.HasFlag(setting) && parse.GetResult(option) is { Implicit: false })
                {
                    await stderr.WriteLineAsync($"braid lab: warning: {option.Name} does nothing here: {Unused(setting, options.Workload)}");
                }
            }

            var outputs = new List<(string Path, Func<LabResults, string> Render)>();
            var named = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (option, render) in new (Option<string>, Func<LabResults, string>)[] { (html, LabReports.ToHtml), (json, LabReports.ToJson), (trace, LabReports.ToTrace) })
            {
                if (parse.GetResult(option) is { Implicit: false } && parse.GetValue(option) is var path)
                {
                    if (OutputFile.Check(path ?? "") is { } why)
                    {
                        return Bad(stderr, string.IsNullOrWhiteSpace(path) ? $"{option.Name}: expects a file path" : why);
                    }

                    // Compared by real path: 'r.json' and './link-to-r.json' are one file, written twice.
                    var real = OutputFile.RealPath(path!);
                    if (named.TryGetValue(real, out var other))
                    {
                        return Bad(stderr, $"{other} and {option.Name} name the same file ({path})");
                    }

                    named[real] = option.Name;
                    outputs.Add((path!, render));
                }
            }

            // A report on standard output: the table and messages go to stderr so the two do not mix.
            var console = named.ContainsKey(OutputFile.StandardOutput)
                ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
                : null;
            return await LabConsole.RunAsync(options, outputs, showProgress: !parse.GetValue(noProgress), console, cancellationToken);
        });
        return command;
    }

    /// <summary>Why an option does nothing: the chosen workload does not do what it tunes, or no model that reads it is run.</summary>
    private static string Unused(LabSettings setting, LabWorkload workload)
    {
        var workloads = LabCatalog.Workloads.Where(w => w.Settings.HasFlag(setting)).Select(w => w.Name).ToList();
        var models = LabCatalog.Models.Where(m => m.Settings.HasFlag(setting)).Select(m => m.Name).ToList();
        return setting switch
        {
            LabSettings.Requests => $"the {workload.Name} workload makes no requests",
            LabSettings.CpuSize => $"the {workload.Name} workload computes nothing",
            LabSettings.Connections => workloads.Count == 1 ? $"only the {workloads[0]} workload opens connections" : $"only the {And(workloads)} workloads open connections",
            _ => models.Count switch
            {
                1 => $"the {models[0]} model is not run",
                2 => $"neither the {models[0]} nor the {models[1]} model is run",
                _ => $"none of the {And(models)} models is run",
            },
        };
    }

    private static string And(List<string> names) => names.Count <= 1 ? string.Join("", names) : string.Join(", ", names[..^1]) + " and " + names[^1];

    private static bool FindModel(string name, out LabModel model)
    {
        var found = LabCatalog.TryFindModel(name, out var known);
        model = known!;
        return found;
    }

    private static TimeSpan Milliseconds(double ms) => TimeSpan.FromMilliseconds(ms);

    private static int Bad(TextWriter stderr, string message)
    {
        stderr.WriteLine("braid lab: " + message);
        return CliRunner.BadInput;
    }

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
