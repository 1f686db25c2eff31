using Braid.Simulation.Model;

namespace Braid.Simulation.Orleans.Tests;

/// <summary>The Orleans run equals the in-process run for the same seed (design rules 161 and 166).</summary>
public sealed class OrleansTradeSimulationTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    public static TheoryData<int, int, ulong, string> Runs() => new()
    {
        { 64, 3, 1, "random" },
        { 101, 2, 7, "mixed" }, // odd: one sits out each quarter
        { 40, 4, 3, "tit-for-tat" },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task The_cluster_run_equals_the_in_process_run(int agents, int years, ulong seed, string policy)
    {
        Assert.True(PolicyNames.TryParse(policy, out var policies));
        var options = new TradeSimulationOptions { Agents = agents, Years = years, Seed = seed, Policies = policies };

        var local = await Task.Run(() => TradeSimulation.Run(options));
        var cluster = await OrleansTradeSimulation.RunAsync(fixture.Cluster.GrainFactory, options).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(local.FinalWealth, cluster.FinalWealth);
        Assert.Equal(Summary(local), Summary(cluster));
        Assert.Equal(local.WealthChecksum, cluster.WealthChecksum);
        Assert.Equal(local.Histogram, cluster.Histogram);
    }

    [Fact]
    public async Task The_agents_are_spread_over_both_silos()
    {
        Assert.Equal(2, fixture.Cluster.Silos.Count);
        var result = await OrleansTradeSimulation.RunAsync(fixture.Cluster.GrainFactory, new TradeSimulationOptions { Agents = 200, Years = 1 }).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(4 * 200, result.Decisions);

        var management = fixture.Cluster.GrainFactory.GetGrain<IManagementGrain>(0);
        var statistics = await management.GetSimpleGrainStatistics();
        var silosWithAgents = statistics.Where(s => s.GrainType.Contains(nameof(AgentGrain), StringComparison.Ordinal) && s.ActivationCount > 0).Select(s => s.SiloAddress).Distinct().Count();
        Assert.Equal(2, silosWithAgents);
    }

    [Fact]
    public async Task The_model_policy_is_refused_on_the_cluster()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => OrleansTradeSimulation.RunAsync(fixture.Cluster.GrainFactory, new TradeSimulationOptions { Policies = [Policy.Model], Model = new ModelPolicyOptions { Client = null } }));
        Assert.Contains("model", e.Message, StringComparison.Ordinal);
    }

    private static List<string> Summary(TradeSimulationResult r) =>
        [.. r.Years.Select(y => $"{y.Year} {y.Gini:R} {y.TotalWealth} {y.Cooperations} {y.Defections} {string.Join(',', y.SitOuts)}")];
}
