using System.Diagnostics;
using System.Globalization;
using Braid.Simulation.Model;
using Braid.Simulation.Orleans;
using Orleans.TestingHost;

/// <summary>
/// Decisions per second with the agents as Orleans grains, on 1 and 3 silos in this process (a test
/// cluster: the silos and the client talk over loopback TCP), against the same run in process.
/// </summary>
internal static class OrleansBench
{
    public static async Task RunAsync(bool quick)
    {
        var c = CultureInfo.InvariantCulture;
        var options = new TradeSimulationOptions { Agents = 10_000, Years = quick ? 1 : 5 };
        TradeSimulation.Run(options); // warm-up
        var started = Stopwatch.GetTimestamp();
        var local = TradeSimulation.Run(options);
        var localRate = local.Decisions / Stopwatch.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine(string.Create(c, $"in process: {localRate / 1e6:F2} M decisions/s ({options.Agents:N0} agents x {options.Years} years)"));
        foreach (var silos in new[] { 1, 3 })
        {
            var builder = new TestClusterBuilder { Options = { InitialSilosCount = (short)silos, ConfigureFileLogging = false } };
            var cluster = builder.Build();
            await cluster.DeployAsync();
            try
            {
                // The first run activates the grains; the second is timed (grains already active, new run keys
                // activate new grains, so activation is in both: the figure includes it).
                await OrleansTradeSimulation.RunAsync(cluster.Client, options with { Years = 1 });
                started = Stopwatch.GetTimestamp();
                var result = await OrleansTradeSimulation.RunAsync(cluster.Client, options);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var rate = result.Decisions / seconds;
                Console.WriteLine(string.Create(c, $"orleans, {silos} silo(s): {rate / 1e3:F1} k decisions/s ({result.Decisions:N0} in {seconds:F2} s), {localRate / rate:F0}x slower than in process; same result: {result.WealthChecksum == local.WealthChecksum}"));
            }
            finally
            {
                await cluster.StopAllSilosAsync();
                await cluster.DisposeAsync();
            }
        }
    }
}
