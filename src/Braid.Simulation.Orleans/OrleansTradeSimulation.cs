using System.Net;
using System.Net.Sockets;
using Braid.Simulation.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Braid.Simulation.Orleans;

/// <summary>
/// Runs the trading model with every agent an Orleans grain (<see cref="IAgentGrain"/>). A pairing
/// coordinator (this class, outside any grain) pairs the agents each quarter, asks every agent for its
/// move, then settles each pair; agents never call each other, so no grain waits on a grain that waits on
/// it (design rule 166). For the same options the result equals <see cref="TradeSimulation.Run"/>'s, bit
/// for bit: the rules are the same functions of (seed, quarter, agent) (design rule 161).
/// </summary>
public static class OrleansTradeSimulation
{
    // Calls in flight at once per phase: enough to keep a silo busy, bounded so a million agents do not
    // make a million pending tasks.
    private const int Window = 4_096;

    /// <summary>Runs one simulation on the cluster behind <paramref name="grains"/>.</summary>
    /// <param name="grains">A grain factory: a silo's own, or a cluster client's.</param>
    /// <param name="options">The run; rule-based policies only (the model policy runs in process).</param>
    /// <param name="cancellationToken">Stops the run between phases.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentException">The options cannot run, or include the model policy.</exception>
    public static Task<TradeSimulationResult> RunAsync(IGrainFactory grains, TradeSimulationOptions options, CancellationToken cancellationToken = default) =>
        RunAsync(grains, options, Guid.NewGuid().ToString("N"), cancellationToken);

    // The same, with the agents keyed (agent index, run): a caller that knows the run can ask its grains
    // afterwards where they live (the multi-process cluster test does).
    internal static async Task<TradeSimulationResult> RunAsync(IGrainFactory grains, TradeSimulationOptions options, string run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        if (options.Policies.Contains(Policy.Model))
        {
            throw new ArgumentException("the model policy runs in process only", nameof(options));
        }

        var n = options.Agents;
        var agents = new IAgentGrain[n];
        for (var a = 0; a < n; a++)
        {
            agents[a] = grains.GetGrain<IAgentGrain>(a, run);
        }

        await ForAllAsync(n, a => agents[a].InitAsync(options.Seed, (byte)options.Policies[a % options.Policies.Count], options.InitialWealth), cancellationToken);

        var wealth = new long[n];
        Array.Fill(wealth, options.InitialWealth);
        var order = new int[n];
        var moves = new Move[n];
        var scratch = new long[n];
        var years = new List<YearRecord>();
        var sitOuts = new int[4];
        long cooperations = 0, defections = 0;
        for (var quarter = 0; quarter < options.Years * 4; quarter++)
        {
            var sitOut = TradeRules.Pair(options.Seed, quarter, order);
            sitOuts[quarter % 4] = sitOut;
            var q = quarter;
            await ForAllAsync(n, async a =>
            {
                if (a != sitOut)
                {
                    moves[a] = (Move)await agents[a].DecideAsync(q).ConfigureAwait(false);
                }
            }, cancellationToken);

            await ForAllAsync(n / 2, async k =>
            {
                var (a, b) = (order[2 * k], order[(2 * k) + 1]);
                var (pa, pb) = options.Payoffs.Pay(moves[a], moves[b]);
                var settled = await Task.WhenAll(agents[a].SettleAsync(pa, (byte)moves[b]), agents[b].SettleAsync(pb, (byte)moves[a])).ConfigureAwait(false);
                (wealth[a], wealth[b]) = (settled[0], settled[1]);
            }, cancellationToken);

            for (var k = 0; k + 1 < n; k += 2)
            {
                var cooperated = (moves[order[k]] == Move.Cooperate ? 1 : 0) + (moves[order[k + 1]] == Move.Cooperate ? 1 : 0);
                cooperations += cooperated;
                defections += 2 - cooperated;
            }

            if (quarter % 4 == 3)
            {
                years.Add(new YearRecord((quarter / 4) + 1, TradeRules.Gini(wealth, scratch), wealth.Sum(), cooperations, defections, 0, 0, [.. sitOuts]));
                (cooperations, defections) = (0, 0);
            }
        }

        var (histogram, max) = TradeRules.Histogram(wealth, options.HistogramBins);
        return new TradeSimulationResult
        {
            Options = options,
            Years = years,
            FinalWealth = wealth,
            Histogram = histogram,
            HistogramMax = max,
            Policies = TradeRules.ByPolicy(options.Policies, wealth),
            Fallbacks = new Dictionary<string, long>(),
        };
    }

    /// <summary>
    /// Starts a silo in this process (localhost clustering on free loopback ports), runs
    /// <paramref name="runs"/> on it one after another, and stops it; returns only after the silo has stopped.
    /// </summary>
    /// <param name="runs">The runs.</param>
    /// <param name="cancellationToken">Stops the current run and the silo.</param>
    /// <returns>The results, in order.</returns>
    public static async Task<TradeSimulationResult[]> RunLocalAsync(IReadOnlyList<TradeSimulationOptions> runs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort())
            .Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(30)));
        using var host = builder.Build();
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var results = new TradeSimulationResult[runs.Count];
            for (var i = 0; i < runs.Count; i++)
            {
                results[i] = await RunAsync(grains, runs[i], cancellationToken).ConfigureAwait(false);
            }

            return results;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    // Calls call(0..count-1) with at most Window in flight, in index order; returns when all have finished.
    private static async Task ForAllAsync(int count, Func<int, Task> call, CancellationToken cancellationToken)
    {
        var window = new List<Task>(Math.Min(count, Window));
        for (var start = 0; start < count; start += Window)
        {
            cancellationToken.ThrowIfCancellationRequested();
            window.Clear();
            for (var i = start; i < Math.Min(count, start + Window); i++)
            {
                window.Add(call(i));
            }

            await Task.WhenAll(window).ConfigureAwait(false);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
