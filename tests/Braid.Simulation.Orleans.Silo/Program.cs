using Braid.Simulation;
using Braid.Simulation.Model;
using Braid.Simulation.Orleans.Silo;
using Microsoft.Extensions.DependencyInjection;

// One Orleans silo on loopback (docs/simulation.md, "A cluster of silo processes"):
//   (no arguments)          the primary silo, on free ports; its "ready" line gives the silo port
//   --join PORT             a silo that joins the primary silo listening on 127.0.0.1:PORT
//   --agents N [--years Y] [--seed S] [--silos K]
//                           also wait until K silos are up, run the model on the cluster, compare it with
//                           the in-process run, print the agents per process, and stop (exit 1 if unequal)
// A silo stops gracefully when its standard input ends (or on Ctrl+C), so it never outlives a parent
// that started it with a pipe.
int? join = null, agents = null;
int years = 2, silos = 1;
ulong seed = 1;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--join": join = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--agents": agents = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--years": years = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--seed": seed = ulong.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--silos": silos = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

var (host, siloPort, gatewayPort) = LoopbackSilo.Build(join);
await host.StartAsync();
Console.WriteLine(LoopbackSilo.ReadyLine(siloPort, gatewayPort));
var exitCode = 0;
try
{
    if (agents is { } n)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await LoopbackSilo.WaitForSilosAsync(host, silos, guard.Token);
        Console.WriteLine($"cluster: {silos} silos");
        var options = new TradeSimulationOptions { Agents = n, Years = years, Seed = seed };
        var (result, perProcess) = await LoopbackSilo.RunAsync(host.Services.GetRequiredService<IGrainFactory>(), options, guard.Token);
        var local = TradeSimulation.Run(options);
        var equal = local.FinalWealth.SequenceEqual(result.FinalWealth) && local.WealthChecksum == result.WealthChecksum;
        Console.WriteLine($"run: {n} agents, {years} years, seed {seed}: final Gini {result.Years[^1].Gini:F4}, equals the in-process run: {(equal ? "yes" : "NO")}");
        Console.WriteLine($"agents per process: {string.Join(", ", perProcess.Select(p => $"pid {p.Key}{(p.Key == Environment.ProcessId ? " (this one)" : "")}: {p.Value}"))}");
        exitCode = equal ? 0 : 1;
    }
    else
    {
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.TrySetResult();
        };
        _ = Task.Run(() =>
        {
            while (Console.ReadLine() is not null)
            {
            }

            stop.TrySetResult();
        });
        await stop.Task;
    }
}
finally
{
    using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    await host.StopAsync(stopping.Token);
    host.Dispose();
    Console.WriteLine("stopped");
}

return exitCode;
