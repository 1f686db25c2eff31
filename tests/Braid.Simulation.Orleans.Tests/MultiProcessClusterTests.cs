using System.Diagnostics;
using Braid.Simulation.Model;
using Braid.Simulation.Orleans.Silo;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Braid.Simulation.Orleans.Tests;

/// <summary>
/// A localhost-clustering cluster of three silo processes: this one (the primary) and two silo programs
/// (tests/Braid.Simulation.Orleans.Silo) that join it on loopback. The run equals the in-process run, the
/// agents live in more than one process, and no silo process outlives the test (design rules 166 and 167).
/// </summary>
public sealed class MultiProcessClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_silo_processes_and_this_one_give_the_in_process_run_and_are_gone_afterwards()
    {
        // A failure guard only: every wait below is on an event (a ready line, a manifest update, an exit).
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var (host, siloPort, _) = LoopbackSilo.Build(primarySiloPort: null);
        var children = new List<Process>();
        await host.StartAsync(guard.Token);
        try
        {
            children.Add(StartSilo(siloPort));
            children.Add(StartSilo(siloPort));
            var pids = await Task.WhenAll(children.Select(c => ReadyAsync(c, guard.Token)));
            Assert.Equal(children.Select(c => c.Id), pids);
            await LoopbackSilo.WaitForSilosAsync(host, 3, guard.Token);

            Assert.True(PolicyNames.TryParse("mixed", out var policies));
            var options = new TradeSimulationOptions { Agents = 301, Years = 2, Seed = 11, Policies = policies };
            var (cluster, perProcess) = await LoopbackSilo.RunAsync(host.Services.GetRequiredService<IGrainFactory>(), options, guard.Token);
            var local = await Task.Run(() => TradeSimulation.Run(options));
            output.WriteLine($"agents per process: {string.Join(", ", perProcess.Select(p => $"{p.Key}={p.Value}"))} (this process {Environment.ProcessId}, silos {string.Join(", ", pids)})");

            Assert.Equal(local.FinalWealth, cluster.FinalWealth);
            Assert.Equal(Summary(local), Summary(cluster));
            Assert.Equal(local.WealthChecksum, cluster.WealthChecksum);
            Assert.Equal(options.Agents, perProcess.Values.Sum());
            Assert.True(perProcess.Count >= 2, "the agents all lived in one process");
            Assert.Contains(perProcess.Keys, pids.Contains);
            Assert.All(perProcess.Keys, pid => Assert.True(pid == Environment.ProcessId || pids.Contains(pid), $"pid {pid} is not a silo of the cluster"));

            // Ending a silo's standard input stops it gracefully; it leaves the cluster and exits 0.
            foreach (var child in children)
            {
                child.StandardInput.Close();
            }

            foreach (var child in children)
            {
                await child.WaitForExitAsync(guard.Token);
                Assert.Equal(0, child.ExitCode);
            }
        }
        finally
        {
            // Even when an assertion failed or the guard fired: no silo process is left behind.
            foreach (var child in children)
            {
                KillTree(child);
            }

            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }

        Assert.All(children, c => Assert.True(c.HasExited));
        Assert.All(children, c => Assert.False(IsRunning(c.Id), $"silo process {c.Id} is still running"));
        foreach (var child in children)
        {
            child.Dispose();
        }
    }

    private static Process StartSilo(int primarySiloPort)
    {
        // The silo program is built beside this project (a ProjectReference) in the same configuration.
        var here = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var dll = Path.Combine(here.Replace("Braid.Simulation.Orleans.Tests", "Braid.Simulation.Orleans.Silo", StringComparison.Ordinal), "Braid.Simulation.Orleans.Silo.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build tests/Braid.Simulation.Orleans.Tests, which builds it");
        var dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(dotnet, [dll, "--join", primarySiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        return Process.Start(start) ?? throw new InvalidOperationException("the silo process did not start");
    }

    // Waits for the silo's "ready pid=N ..." line and returns N.
    private static async Task<int> ReadyAsync(Process silo, CancellationToken cancellationToken)
    {
        var line = await silo.StandardOutput.ReadLineAsync(cancellationToken);
        if (line is null || !line.StartsWith("ready pid=", StringComparison.Ordinal))
        {
            Assert.Fail($"silo process {silo.Id} said {line ?? "nothing"} instead of ready");
            return 0;
        }

        return int.Parse(line.Split(' ')[1]["pid=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has already exited.
        }

        process.WaitForExit();
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static List<string> Summary(TradeSimulationResult r) =>
        [.. r.Years.Select(y => $"{y.Year} {y.Gini:R} {y.TotalWealth} {y.Cooperations} {y.Defections} {string.Join(',', y.SitOuts)}")];
}
