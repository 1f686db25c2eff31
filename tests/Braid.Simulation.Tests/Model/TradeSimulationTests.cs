using Braid.Loop;
using Braid.Simulation.Model;
using Braid.Time;

namespace Braid.Simulation.Tests.Model;

public sealed class TradeSimulationTests
{
    private static readonly PayoffMatrix ZeroSum = new(0, 1, -1, 0);

    [Theory]
    [InlineData(200, 1UL)]
    [InlineData(201, 2UL)] // odd: one agent sits out each quarter
    public void Money_is_conserved_under_a_zero_sum_matrix(int agents, ulong seed)
    {
        // Wealth large enough that nobody reaches the floor at 0 (at most 1 lost per quarter).
        var result = TradeSimulation.Run(new() { Agents = agents, Years = 5, Seed = seed, InitialWealth = 100, Payoffs = ZeroSum, Policies = [Policy.Random, Policy.TitForTat] });

        Assert.Equal(5, result.Years.Count);
        Assert.All(result.Years, y => Assert.Equal(agents * 100L, y.TotalWealth));
        Assert.Equal(agents * 100L, result.FinalWealth.Sum());
        Assert.True(result.FinalGini > 0, "trading moved wealth around");
    }

    [Fact]
    public void The_floor_at_zero_creates_money_when_a_quarter_would_take_an_agent_below_zero()
    {
        // Everyone cheats under the book's payoffs: -1 a quarter from 1, floored at 0; the total reaches 0 and Gini is then 0.
        var result = TradeSimulation.Run(new() { Agents = 10, Years = 1, InitialWealth = 1, Policies = [Policy.Cheat] });
        Assert.Equal(0, result.Years[0].TotalWealth);
        Assert.Equal(0, result.Years[0].Gini);
        Assert.Equal(40, result.Years[0].Defections);
    }

    [Fact]
    public void Everyone_cooperating_gains_two_a_quarter_and_stays_equal()
    {
        var result = TradeSimulation.Run(new() { Agents = 8, Years = 2, InitialWealth = 10, Policies = [Policy.Cooperate] });
        Assert.All(result.FinalWealth, w => Assert.Equal(10 + (8 * 2), w));
        Assert.All(result.Years, y => Assert.Equal(0, y.Gini));
        Assert.Equal(1.0, result.Years[1].CooperationShare);
    }

    [Fact]
    public void Gini_of_known_distributions()
    {
        long[] Scratch(int n) => new long[n];
        Assert.Equal(0, TradeRules.Gini([5, 5, 5, 5], Scratch(4)));
        Assert.Equal(0, TradeRules.Gini([0, 0, 0], Scratch(3)));
        Assert.Equal(0, TradeRules.Gini([], Scratch(0)));
        foreach (var n in new[] { 2, 10, 1000 })
        {
            var wealth = new long[n];
            wealth[n / 2] = 77;
            Assert.Equal((n - 1) / (double)n, TradeRules.Gini(wealth, Scratch(n)), 12);
        }

        // 1, 2, 3, 4: (2*(1+4+9+16) - 5*10) / (4*10) = 10/40.
        Assert.Equal(0.25, TradeRules.Gini([4, 1, 3, 2], Scratch(4)), 12);
    }

    [Fact]
    public void The_same_seed_gives_the_same_run_whatever_the_batch_size()
    {
        var options = new TradeSimulationOptions { Agents = 301, Years = 4, Seed = 7, Policies = [Policy.Random, Policy.Cooperate, Policy.Cheat, Policy.TitForTat] };
        var first = TradeSimulation.Run(options);
        var again = TradeSimulation.Run(options with { BatchSize = 7 });
        var other = TradeSimulation.Run(options with { Seed = 8 });

        Assert.Equal(first.FinalWealth, again.FinalWealth);
        Assert.Equal(first.Years.Select(y => (y.Gini, y.Cooperations, y.Defections, string.Join(',', y.SitOuts))), again.Years.Select(y => (y.Gini, y.Cooperations, y.Defections, string.Join(',', y.SitOuts))));
        Assert.Equal(first.WealthChecksum, again.WealthChecksum);
        Assert.NotEqual(first.WealthChecksum, other.WealthChecksum);
    }

    [Fact]
    public void A_decision_costs_no_task_and_no_loop_step()
    {
        // Design rule 160: 10,000 agents for two years are 80,000 decisions, made in batch loops; the loop
        // runs a handful of steps per quarter (the clock's wait for the next one), not one per decision.
        var clock = new VirtualClock { AutoJump = true };
        var (result, steps) = AsyncLoop.Run(async () =>
        {
            var r = await TradeSimulation.RunAsync(new TradeSimulationOptions { Agents = 10_000, Years = 2, BatchSize = 1_000 });
            return (r, AsyncLoop.Current!.GetStatistics().StepsRun);
        }, new AsyncLoopOptions { TimeProvider = clock });

        Assert.Equal(80_000, result.Decisions);
        Assert.InRange(steps, 1, 8 * 4);
        Assert.Equal(TimeSpan.FromDays(365.25 / 4 * 7), clock.Elapsed); // quarters 0..7, the first at time zero
    }

    [Fact]
    public void With_an_odd_count_one_agent_sits_out_each_quarter_chosen_by_the_seed_and_recorded()
    {
        var result = TradeSimulation.Run(new() { Agents = 5, Years = 3, Seed = 3 });
        var sitOuts = result.Years.SelectMany(y => y.SitOuts).ToList();
        Assert.Equal(12, sitOuts.Count);
        Assert.All(sitOuts, s => Assert.InRange(s, 0, 4));
        Assert.True(sitOuts.Distinct().Count() > 1, "the seed, not a fixed agent, chooses who sits out");
        Assert.All(result.Years, y => Assert.Equal(4 * 4, y.Decisions)); // 4 of 5 trade, 4 quarters

        var even = TradeSimulation.Run(new() { Agents = 6, Years = 1 });
        Assert.All(even.Years[0].SitOuts, s => Assert.Equal(-1, s));
    }

    [Fact]
    public void Tit_for_tat_cooperates_with_cooperators()
    {
        var result = TradeSimulation.Run(new() { Agents = 100, Years = 2, Policies = [Policy.TitForTat, Policy.Cooperate] });
        Assert.Equal(1.0, result.Years[^1].CooperationShare);
    }

    [Fact]
    public void Policy_outcomes_and_the_histogram_account_for_every_agent()
    {
        var result = TradeSimulation.Run(new() { Agents = 400, Years = 3, Policies = [Policy.Random, Policy.Cooperate, Policy.Cheat, Policy.TitForTat], HistogramBins = 10 });
        Assert.Equal(400, result.Histogram.Sum());
        Assert.Equal(10, result.Histogram.Count);
        Assert.Equal(400, result.Policies.Sum(p => p.Agents));
        Assert.Equal(result.FinalWealth.Sum(), result.Policies.Sum(p => p.Wealth));
        Assert.Equal(1.0, result.Policies.Sum(p => p.WealthShare), 9);
        Assert.Equal(0, result.ModelShare);
    }

    [Fact]
    public async Task Runs_side_by_side_equal_the_same_runs_one_by_one()
    {
        TradeSimulationOptions[] runs = [new() { Agents = 50, Years = 2, Seed = 1 }, new() { Agents = 50, Years = 2, Seed = 2, Policies = [Policy.TitForTat, Policy.Cheat] }, new() { Agents = 51, Years = 2, Seed = 3 }];
        var together = await TradeSimulation.RunManyAsync(runs, maxParallel: 2);
        Assert.Equal(runs.Select(r => TradeSimulation.Run(r).WealthChecksum), together.Select(r => r.WealthChecksum));
    }

    [Theory]
    [InlineData(-1, 1, "agents must not be negative (got -1)")]
    [InlineData(1, -2, "years must not be negative (got -2)")]
    public void Bad_options_are_refused_in_one_line(int agents, int years, string problem)
    {
        var options = new TradeSimulationOptions { Agents = agents, Years = years };
        Assert.Equal(problem, options.Problem());
        Assert.StartsWith(problem, Assert.Throws<ArgumentException>(() => TradeSimulation.Run(options)).Message, StringComparison.Ordinal);
        Assert.Equal("the model policy needs a chat client (ModelPolicyOptions.Client)", new TradeSimulationOptions { Policies = [Policy.Model] }.Problem());
    }

    [Fact]
    public void Zero_agents_or_zero_years_run_and_report_nothing_moved()
    {
        Assert.Empty(TradeSimulation.Run(new() { Agents = 10, Years = 0 }).Years);
        var empty = TradeSimulation.Run(new() { Agents = 0, Years = 1 });
        Assert.Equal(0, empty.Years[0].Gini);
        Assert.Equal(0, empty.Decisions);
    }

    [Fact]
    public void Payoffs_parse_from_four_whole_numbers()
    {
        Assert.True(PayoffMatrix.TryParse("2, 3,-1,-1", out var book));
        Assert.Equal(PayoffMatrix.Book, book);
        Assert.False(PayoffMatrix.TryParse("2,3,-1", out _));
        Assert.False(PayoffMatrix.TryParse("2,3,x,1", out _));
        Assert.Equal((3, -1), PayoffMatrix.Book.Pay(Move.Defect, Move.Cooperate));
        Assert.Equal((-1, 3), PayoffMatrix.Book.Pay(Move.Cooperate, Move.Defect));
    }
}
