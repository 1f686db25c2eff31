using Braid.Simulation.Model;

namespace Braid.Cli.Commands;

/// <summary><c>braid sim --cluster</c>: the runs on an Orleans silo hosted in this process.</summary>
internal static class SimCluster
{
    public static Task<TradeSimulationResult[]> RunAsync(IReadOnlyList<TradeSimulationOptions> runs, CancellationToken cancellationToken) =>
        throw new NotSupportedException("--cluster is not built yet");
}
