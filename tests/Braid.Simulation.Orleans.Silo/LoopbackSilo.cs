using System.Net;
using System.Net.Sockets;
using Braid.Simulation.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Metadata;

namespace Braid.Simulation.Orleans.Silo;

/// <summary>
/// A silo of a localhost-clustering cluster (service and cluster id "dev") on free loopback ports, with a
/// short response timeout so a call cycle fails in seconds (design rule 166). Used by the silo program
/// and, compiled in, by the multi-process cluster test for its in-process silo.
/// </summary>
internal static class LoopbackSilo
{
    /// <summary>How long any grain call may take before Orleans fails it.</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Builds (does not start) a silo; the primary when <paramref name="primarySiloPort"/> is null, else one that joins it.</summary>
    public static (IHost Host, int SiloPort, int GatewayPort) Build(int? primarySiloPort)
    {
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort, primarySiloPort is { } p ? new IPEndPoint(IPAddress.Loopback, p) : null)
            .Configure<SiloMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout)
            .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout));
        return (builder.Build(), siloPort, gatewayPort);
    }

    /// <summary>The line a started silo prints: the test waits for it rather than for time.</summary>
    public static string ReadyLine(int siloPort, int gatewayPort) =>
        $"ready pid={Environment.ProcessId} silo=127.0.0.1:{siloPort} gateway=127.0.0.1:{gatewayPort}";

    /// <summary>Completes when the cluster manifest seen by <paramref name="host"/> holds <paramref name="count"/> silos (so placement can use them all).</summary>
    public static async Task WaitForSilosAsync(IHost host, int count, CancellationToken cancellationToken)
    {
        var manifests = host.Services.GetRequiredService<IClusterManifestProvider>();
        if (manifests.Current.Silos.Count >= count)
        {
            return;
        }

        await foreach (var manifest in manifests.Updates.WithCancellation(cancellationToken))
        {
            if (manifest.Silos.Count >= count)
            {
                return;
            }
        }
    }

    /// <summary>Runs the simulation on the cluster, then asks every agent grain for its process id: agents per process id.</summary>
    public static async Task<(TradeSimulationResult Result, SortedDictionary<int, int> AgentsPerProcess)> RunAsync(IGrainFactory grains, TradeSimulationOptions options, CancellationToken cancellationToken)
    {
        var run = Guid.NewGuid().ToString("N");
        var result = await OrleansTradeSimulation.RunAsync(grains, options, run, cancellationToken);
        var pids = await Task.WhenAll(Enumerable.Range(0, options.Agents).Select(a => grains.GetGrain<IAgentGrain>(a, run).ProcessIdAsync()));
        return (result, new SortedDictionary<int, int>(pids.CountBy(p => p).ToDictionary()));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
