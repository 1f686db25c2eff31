using Braid.Simulation.Model;
using Braid.Simulation.Orleans;

namespace Braid.Cli.Commands;

/// <summary><c>braid sim --cluster</c>: the runs on an Orleans silo hosted in this process (<see cref="OrleansTradeSimulation.RunLocalAsync"/>).</summary>
internal static class SimCluster
{
    public static Task<TradeSimulationResult[]> RunAsync(IReadOnlyList<TradeSimulationOptions> runs, CancellationToken cancellationToken) =>
        OrleansTradeSimulation.RunLocalAsync(runs, cancellationToken);
}
