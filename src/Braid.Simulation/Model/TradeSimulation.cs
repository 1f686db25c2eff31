using Braid.Simulation.Kernel;
using Braid.Structured;

namespace Braid.Simulation.Model;

/// <summary>
/// Runs the book's trading model: agents paired at random each quarter play a prisoner's dilemma for
/// wealth; a yearly Gini coefficient tracks inequality. Every run is deterministic for its seed, bit for
/// bit, for every policy but the model (design rule 161).
/// </summary>
public static class TradeSimulation
{
    /// <summary>Runs one simulation on a new loop and virtual clock on the calling thread, and blocks until it ends.</summary>
    /// <param name="options">The run.</param>
    /// <param name="cancellationToken">Stops the run between events; the run then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentException">The options cannot run (<see cref="TradeSimulationOptions.Problem"/>).</exception>
    public static TradeSimulationResult Run(TradeSimulationOptions options, CancellationToken cancellationToken = default)
    {
        var (kernel, world) = Build(options);
        kernel.Run(cancellationToken);
        return world.Result();
    }

    /// <summary>Runs one simulation on the current loop, whose time provider must be a <see cref="Braid.Time.VirtualClock"/>.</summary>
    /// <param name="options">The run.</param>
    /// <param name="cancellationToken">Stops the run between events.</param>
    /// <returns>The result; never completes synchronously unless the options are refused.</returns>
    /// <exception cref="ArgumentException">The options cannot run.</exception>
    public static async Task<TradeSimulationResult> RunAsync(TradeSimulationOptions options, CancellationToken cancellationToken = default)
    {
        var (kernel, world) = Build(options);
        await kernel.RunAsync(cancellationToken);
        return world.Result();
    }

    /// <summary>
    /// Runs several simulations side by side, each on its own loop on its own thread, at most
    /// <paramref name="maxParallel"/> at once; results come in the order of <paramref name="runs"/>.
    /// Returns only after every run started has ended (a failure cancels the others).
    /// </summary>
    /// <param name="runs">The runs.</param>
    /// <param name="maxParallel">How many run at once (at least 1).</param>
    /// <param name="cancellationToken">Stops every run.</param>
    /// <returns>The results.</returns>
    public static async Task<TradeSimulationResult[]> RunManyAsync(IReadOnlyList<TradeSimulationOptions> runs, int maxParallel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runs);
        foreach (var run in runs)
        {
            if (run.Problem() is { } problem)
            {
                throw new ArgumentException(problem, nameof(runs));
            }
        }

        // A run blocks its thread for its whole length, so each gets a dedicated thread; the task always
        // runs to its end (the token stops the run itself), so nothing outlives this call.
        return await Concurrent.MapAsync(runs, maxParallel, (run, ct) => new ValueTask<TradeSimulationResult>(
            Task.Factory.StartNew(() => Run(run, ct), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)), cancellationToken).ConfigureAwait(false);
    }

    private static (SimulationKernel Kernel, TradeWorld World) Build(TradeSimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        var kernel = new SimulationKernel(new SimulationKernelOptions { Seed = options.Seed, HandlerTimeout = TimeSpan.FromDays(1) });
        return (kernel, new TradeWorld(options, kernel));
    }
}
