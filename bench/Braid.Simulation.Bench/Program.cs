using System.Diagnostics;
using System.Globalization;
using Braid.Simulation.Model;

// The trading model's throughput and memory, in a plain Release console process (issue 17).
// Run with: dotnet run -c Release --project bench/Braid.Simulation.Bench [-- quick] [orleans | schelling]
// Figures and the machine's load when they were taken are in bench/README.md ("Simulation").
var quick = args.Contains("quick");
var c = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(c, $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, load {File.ReadAllText("/proc/loadavg").Trim()}"));

if (args.Contains("schelling"))
{
    SchellingBench.Run(quick ? 10 : 100);
    return;
}

if (args.Contains("orleans"))
{
    await OrleansBench.RunAsync(quick);
    return;
}

// Warm-up: the JIT's tiers settle before anything is timed.
TradeSimulation.Run(new TradeSimulationOptions { Agents = 100_000, Years = 5 });

Console.WriteLine("decisions per second, random policy, one run on one thread (best of 3):");
foreach (var (agents, years) in quick ? [(100_000, 5)] : new[] { (10_000, 50), (100_000, 10), (1_000_000, 5) })
{
    var best = Enumerable.Range(0, 3).Select(_ => Measure(new TradeSimulationOptions { Agents = agents, Years = years })).MaxBy(m => m.PerSecond);
    Console.WriteLine(string.Create(c, $"  {agents,9:N0} agents x {years,2} years: {best.PerSecond / 1e6,6:F2} M decisions/s ({best.Decisions:N0} in {best.Seconds:F2} s)"));
}

Console.WriteLine("two runs side by side (--runs 2), one thread each:");
{
    TradeSimulationOptions[] two = [new() { Agents = 1_000_000, Years = quick ? 1 : 5, Seed = 1 }, new() { Agents = 1_000_000, Years = quick ? 1 : 5, Seed = 2 }];
    var started = Stopwatch.GetTimestamp();
    var results = await TradeSimulation.RunManyAsync(two, maxParallel: 2);
    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    var decisions = results.Sum(r => r.Decisions);
    Console.WriteLine(string.Create(c, $"  2 x 1,000,000 agents: {decisions / seconds / 1e6:F2} M decisions/s ({decisions:N0} in {seconds:F2} s)"));
}

Console.WriteLine("memory: bytes allocated per agent by a whole run, and the heap after it, by years:");
foreach (var years in quick ? [1, 4] : new[] { 1, 5, 20 })
{
    const int agents = 1_000_000;
    GC.Collect();
    var before = GC.GetTotalAllocatedBytes(precise: true);
    var result = TradeSimulation.Run(new TradeSimulationOptions { Agents = agents, Years = years });
    var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
    GC.Collect();
    var heap = GC.GetTotalMemory(forceFullCollection: true);
    GC.KeepAlive(result);
    Console.WriteLine(string.Create(c, $"  {agents:N0} agents x {years,2} years: {allocated / (double)agents,5:F1} B allocated per agent, heap {heap / 1048576.0,6:F1} MiB with the result held"));
}

static (double PerSecond, long Decisions, double Seconds) Measure(TradeSimulationOptions options)
{
    var started = Stopwatch.GetTimestamp();
    var result = TradeSimulation.Run(options);
    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    return (result.Decisions / seconds, result.Decisions, seconds);
}
