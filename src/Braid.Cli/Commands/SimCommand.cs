using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Braid.Lab.Output;
using Braid.Simulation.Model;
using Braid.Simulation.Reports;
using Microsoft.Extensions.AI;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid sim</c>: the trading model (issue 17). Parses, builds the runs, calls
/// <see cref="TradeSimulation"/> (or the Orleans engine with <c>--cluster</c>), writes the reports.
/// </summary>
internal static class SimCommand
{
    /// <summary>Where Ollama serves its OpenAI-compatible API by default.</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:11434/v1/";

    /// <summary>Exit code of a run stopped by Ctrl-C or SIGTERM.</summary>
    internal const int Cancelled = 130;

    public static Command Create()
    {
        var agents = new Option<int?>("--agents", "-n") { Description = "Agents in each run. Default 1000. Example: --agents 100000" }.WholeNumber();
        var years = new Option<int?>("--years", "-y") { Description = "Years of four quarters. Default 10. Example: --years 50" }.WholeNumber();
        var seed = new Option<int?>("--seed") { Description = "The first run's seed; --runs N uses N seeds from it. Default 1. Example: --seed 7" }.WholeNumber();
        var runs = new Option<int?>("--runs", "-r") { Description = "Seeds per policy, run side by side in parallel. Default 1. Example: --runs 4" }.WholeNumber();
        var policies = new Option<IReadOnlyList<string>>("--policy", "-p") { Description = "Comma-separated policies, one run each: random, cooperate, cheat, tit-for-tat, model (a language model), mixed (the four rules dealt round-robin). Default random. Example: --policy mixed,random", HelpName = "list" }
            .ListOf<string>(PolicyNames.All, ParsePolicyName);
        var payoffs = new Option<PayoffMatrix?>("--payoffs") { Description = "Payoffs R,T,S,P: both cooperate, cheat a cooperator, cheated, both cheat. Default 2,3,-1,-1 (the book's). Example: --payoffs 3,5,0,1", HelpName = "R,T,S,P" }
            .Parses("four comma-separated whole numbers R,T,S,P", (string text, out PayoffMatrix? value) => PayoffMatrix.TryParse(text, out value));
        var wealth = new Option<int?>("--initial-wealth") { Description = "Each agent's wealth at the start. Default 10. Example: --initial-wealth 100" }.WholeNumber();
        var html = new Option<string>("--html") { Description = "Write the HTML report here. Example: --html sim.html", HelpName = "path" };
        var json = new Option<string>("--json") { Description = "Write the JSON results here. Example: --json sim.json", HelpName = "path" };
        var parallel = new Option<int?>("--parallel") { Description = "Runs at once. Default: the processor count. Example: --parallel 2" }.WholeNumber();
        var endpoint = new Option<string>("--model-endpoint") { Description = $"model policy: an OpenAI-compatible API (Ollama, vLLM). Default {DefaultEndpoint}. Example: --model-endpoint http://127.0.0.1:8000/v1/", HelpName = "url" };
        var model = new Option<string>("--model") { Description = "model policy: the model's name on that server. Default llama3.2. Example: --model qwen2.5:0.5b", HelpName = "name" };
        var modelTimeout = new Option<double?>("--model-timeout") { Description = "model policy: seconds per call before falling back to tit-for-tat. Default 10. Example: --model-timeout 2", HelpName = "seconds" }.Number("a number of seconds");
        var modelConcurrency = new Option<int?>("--model-concurrency") { Description = "model policy: calls in flight at once. Default 4. Example: --model-concurrency 8" }.WholeNumber();
        var cluster = new Option<bool>("--cluster") { Description = "Run the agents as Orleans grains on a local silo in this process (the same result for the same seed). Example: --cluster" };

        var command = new Command("sim", "Simulate traders under a prisoner's dilemma: yearly Gini, tactic shares, wealth histogram; policies include a language model.")
        {
            agents, years, seed, runs, policies, payoffs, wealth, html, json, parallel, endpoint, model, modelTimeout, modelConcurrency, cluster,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            new Arguments(
                parse.GetValue(agents) ?? 1_000,
                parse.GetValue(years) ?? 10,
                parse.GetValue(seed) ?? 1,
                parse.GetValue(runs) ?? 1,
                parse.GetValue(policies) ?? ["random"],
                parse.GetValue(payoffs) ?? PayoffMatrix.Book,
                parse.GetValue(wealth) ?? 10,
                parse.GetValue(html),
                parse.GetValue(json),
                parse.GetValue(parallel) ?? Environment.ProcessorCount,
                parse.GetValue(endpoint) ?? DefaultEndpoint,
                parse.GetValue(model) ?? "llama3.2",
                parse.GetValue(modelTimeout) ?? 10,
                parse.GetValue(modelConcurrency) ?? 4,
                parse.GetValue(cluster)),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    /// <summary>The command's parsed arguments.</summary>
    internal sealed record Arguments(
        int Agents = 1_000,
        int Years = 10,
        int Seed = 1,
        int Runs = 1,
        IReadOnlyList<string>? Policies = null,
        PayoffMatrix? Payoffs = null,
        int InitialWealth = 10,
        string? Html = null,
        string? Json = null,
        int Parallel = 2,
        string ModelEndpoint = DefaultEndpoint,
        string Model = "llama3.2",
        double ModelTimeout = 10,
        int ModelConcurrency = 4,
        bool Cluster = false);

    /// <summary>Runs the command: bad input is one line on <paramref name="stderr"/> and <see cref="CliRunner.BadInput"/>; an unreachable model is one warning line and the run goes on.</summary>
    internal static async Task<int> RunAsync(Arguments arguments, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var policyNames = arguments.Policies ?? ["random"];
        if (arguments.Agents < 0 || arguments.Years < 0)
        {
            return await BadAsync(stderr, arguments.Agents < 0 ? $"--agents must not be negative (got {arguments.Agents})" : $"--years must not be negative (got {arguments.Years})");
        }

        foreach (var (name, value) in new[] { ("--seed", arguments.Seed), ("--initial-wealth", arguments.InitialWealth) })
        {
            if (value < 0)
            {
                return await BadAsync(stderr, $"{name} must not be negative (got {value})");
            }
        }

        foreach (var (name, value) in new[] { ("--runs", arguments.Runs), ("--parallel", arguments.Parallel), ("--model-concurrency", arguments.ModelConcurrency) })
        {
            if (value < 1)
            {
                return await BadAsync(stderr, $"{name} must be at least 1 (got {value})");
            }
        }

        if (policyNames.Count == 0)
        {
            return await BadAsync(stderr, "--policy: expects a comma-separated list of " + string.Join(", ", PolicyNames.All));
        }

        var usesModel = policyNames.Any(p => p == "model");
        if (usesModel && !(arguments.ModelTimeout > 0 && arguments.ModelTimeout <= 3600))
        {
            return await BadAsync(stderr, string.Create(CultureInfo.InvariantCulture, $"--model-timeout must be between 0 and 3600 seconds (got {arguments.ModelTimeout})"));
        }

        if (usesModel && !(Uri.TryCreate(arguments.ModelEndpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
        {
            return await BadAsync(stderr, $"--model-endpoint: '{arguments.ModelEndpoint}' is not an http or https URL");
        }

        if (usesModel && arguments.Cluster)
        {
            return await BadAsync(stderr, "--cluster runs the rule-based policies only; drop --cluster to use the model policy");
        }

        var outputs = new List<(string Path, Func<IReadOnlyList<TradeSimulationResult>, string> Render)>();
        foreach (var (name, path, render) in new (string, string?, Func<IReadOnlyList<TradeSimulationResult>, string>)[]
        {
            ("--html", arguments.Html, r => SimulationReport.ToHtml(r, arguments.Cluster ? "Orleans, local silo" : "in process")),
            ("--json", arguments.Json, r => SimulationReport.ToJson(r, arguments.Cluster ? "orleans" : "in-process")),
        })
        {
            if (path is null)
            {
                continue;
            }

            if (OutputFile.Check(path) is { } why)
            {
                return await BadAsync(stderr, string.IsNullOrWhiteSpace(path) ? $"{name}: expects a file path" : why);
            }

            if (outputs.Any(o => OutputFile.RealPath(o.Path) == OutputFile.RealPath(path)))
            {
                return await BadAsync(stderr, $"--html and --json name the same file ({path})");
            }

            outputs.Add((path, render));
        }

        using var client = usesModel ? CreateClient(arguments) : null;
        var modelOptions = client is null ? null : new ModelPolicyOptions
        {
            Client = client,
            Timeout = TimeSpan.FromSeconds(arguments.ModelTimeout),
            MaxConcurrency = arguments.ModelConcurrency,
        };
        var runs = new List<TradeSimulationOptions>();
        foreach (var name in policyNames)
        {
            PolicyNames.TryParse(name, out var dealt);
            for (var r = 0; r < arguments.Runs; r++)
            {
                var runSeed = (ulong)arguments.Seed + (ulong)r;
                runs.Add(new TradeSimulationOptions
                {
                    Agents = arguments.Agents,
                    Years = arguments.Years,
                    Seed = runSeed,
                    InitialWealth = arguments.InitialWealth,
                    Payoffs = arguments.Payoffs ?? PayoffMatrix.Book,
                    Policies = dealt,
                    Label = $"{name} seed {runSeed}",
                    Model = modelOptions,
                });
            }
        }

        var started = Stopwatch.GetTimestamp();
        TradeSimulationResult[] results;
        try
        {
            results = arguments.Cluster
                ? await SimCluster.RunAsync(runs, cancellationToken)
                : await TradeSimulation.RunManyAsync(runs, arguments.Parallel, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("braid sim: cancelled");
            return Cancelled;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        if (results.FirstOrDefault(r => r.ModelUnreachable is not null) is { } unreachable)
        {
            var fellBack = results.Sum(r => r.Fallbacks.GetValueOrDefault("unreachable"));
            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"braid sim: warning: the model at {arguments.ModelEndpoint} is unreachable ({unreachable.ModelUnreachable}); {fellBack:N0} decisions fell back to tit-for-tat"));
        }

        await WriteSummaryAsync(stdout, results, elapsed, arguments.Cluster ? "agents as Orleans grains on a local silo (its start-up included)" : null);
        foreach (var (path, render) in outputs)
        {
            try
            {
                await OutputFile.WriteAsync(path, render(results), cancellationToken);
            }
            catch (Exception e) when (OutputFile.IsFileError(e))
            {
                await stderr.WriteLineAsync($"braid sim: cannot write {path}: {OutputFile.Reason(e)}");
                return 1;
            }
        }

        return 0;
    }

    private static IChatClient CreateClient(Arguments arguments) =>
        ModelClients.OpenAICompatible(new Uri(arguments.ModelEndpoint), arguments.Model, TimeSpan.FromSeconds(arguments.ModelTimeout), Environment.GetEnvironmentVariable("BRAID_MODEL_API_KEY"));

    private static async Task WriteSummaryAsync(TextWriter stdout, IReadOnlyList<TradeSimulationResult> results, TimeSpan elapsed, string? engine)
    {
        var c = CultureInfo.InvariantCulture;
        var width = Math.Max(3, results.Max(r => r.Options.DisplayName.Length));
        await stdout.WriteLineAsync(string.Create(c, $"{"run".PadRight(width)} {"agents",9} {"years",5} {"final Gini",10} {"cooperation",11} {"model share",11} {"fallbacks",9}"));
        foreach (var r in results)
        {
            var cooperation = r.Years.Count == 0 ? 0 : r.Years[^1].CooperationShare;
            await stdout.WriteLineAsync(string.Create(c, $"{r.Options.DisplayName.PadRight(width)} {r.Options.Agents,9:N0} {r.Options.Years,5} {r.FinalGini,10:F3} {cooperation,11:P1} {r.ModelShare,11:P1} {r.Fallbacks.Values.Sum(),9:N0}"));
        }

        var decisions = results.Sum(r => r.Decisions);
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        var rate = decisions / seconds;
        var perSecond = rate >= 1e6 ? string.Create(c, $"{rate / 1e6:F2} M/s") : string.Create(c, $"{rate / 1e3:F1} k/s");
        await stdout.WriteLineAsync(string.Create(c, $"{decisions:N0} decisions in {elapsed.TotalSeconds:F2} s ({perSecond}), {results.Count} run(s){(engine is null ? "" : ", " + engine)}"));
    }

    private static bool ParsePolicyName(string name, out string policy)
    {
        policy = name.Trim().ToLowerInvariant();
        return PolicyNames.TryParse(policy, out _);
    }

    private static async Task<int> BadAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync("braid sim: " + message);
        return CliRunner.BadInput;
    }
}
