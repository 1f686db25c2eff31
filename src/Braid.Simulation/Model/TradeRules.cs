using System.Runtime.CompilerServices;
using Braid.Simulation.Kernel;

namespace Braid.Simulation.Model;

/// <summary>
/// The trading model's rules as pure functions of (seed, quarter, agent), shared by the in-process run
/// and the Orleans run so that both give the same result for the same seed (design rule 161).
/// </summary>
internal static class TradeRules
{
    /// <summary>The virtual length of a quarter.</summary>
    public static readonly TimeSpan Quarter = TimeSpan.FromDays(365.25 / 4);

    private const ulong PairingStream = ulong.MaxValue;

    /// <summary>Pairs the population for <paramref name="quarter"/>: <paramref name="order"/> becomes a seeded permutation whose entries 2k and 2k+1 trade; with an odd count the last one sits out.</summary>
    /// <returns>The agent that sits out, or -1.</returns>
    public static int Pair(ulong seed, int quarter, int[] order)
    {
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var random = SeededRandom.For(seed, (ulong)quarter, PairingStream);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order.Length % 2 == 1 ? order[^1] : -1;
    }

    /// <summary>The move of a rule-based policy (not the model).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Move RuleMove(Policy policy, ulong seed, int quarter, int agent, Move lastSeen) => policy switch
    {
        Policy.Random => (SeededRandom.Hash(seed, (ulong)quarter, (ulong)agent) & 1) == 0 ? Move.Cooperate : Move.Defect,
        Policy.Cooperate => Move.Cooperate,
        Policy.Cheat => Move.Defect,
        _ => TitForTat(lastSeen),
    };

    /// <summary>Cooperate first, then answer the last partner's move in kind.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Move TitForTat(Move lastSeen) => lastSeen == Move.Defect ? Move.Defect : Move.Cooperate;

    /// <summary>A quarter's payoffs are summed, then wealth is floored at 0 once (design rule 163).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Settle(long wealth, long quarterPayoffs) => Math.Max(0, wealth + quarterPayoffs);

    /// <summary>
    /// The Gini coefficient of <paramref name="wealth"/>: (2 Σ i·x(i)) / (n Σ x) − (n+1)/n over the values sorted
    /// ascending (i from 1); 0 when the total is 0 or there is nobody. The sums are exact (128-bit), so the
    /// value is the same bit for bit wherever it is computed. <paramref name="scratch"/> (same length) is overwritten.
    /// </summary>
    public static double Gini(ReadOnlySpan<long> wealth, Span<long> scratch)
    {
        var n = wealth.Length;
        if (n == 0)
        {
            return 0;
        }

        wealth.CopyTo(scratch);
        var sorted = scratch[..n];
        sorted.Sort();
        Int128 total = 0;
        Int128 weighted = 0;
        for (var i = 0; i < n; i++)
        {
            total += sorted[i];
            weighted += (Int128)(i + 1) * sorted[i];
        }

        if (total == 0)
        {
            return 0;
        }

        // 2W/(nT) - (n+1)/n = (2W - (n+1)T) / (nT), one rounding at the end.
        return (double)((2 * weighted) - ((n + 1) * total)) / ((double)n * (double)total);
    }

    /// <summary>Agents per bin of <paramref name="bins"/> equal bins over [0, max]; returns the counts and max (at least 1).</summary>
    public static (long[] Counts, long Max) Histogram(ReadOnlySpan<long> wealth, int bins)
    {
        long max = 1;
        foreach (var w in wealth)
        {
            max = Math.Max(max, w);
        }

        var counts = new long[bins];
        foreach (var w in wealth)
        {
            counts[(int)Math.Min(bins - 1, (long)((Int128)w * bins / (max + 1)))]++;
        }

        return (counts, max);
    }

    /// <summary>Final wealth per policy.</summary>
    public static PolicyOutcome[] ByPolicy(IReadOnlyList<Policy> policies, ReadOnlySpan<long> wealth)
    {
        var distinct = policies.Distinct().ToArray();
        var agents = new int[distinct.Length];
        var sums = new long[distinct.Length];
        long total = 0;
        for (var a = 0; a < wealth.Length; a++)
        {
            var k = Array.IndexOf(distinct, policies[a % policies.Count]);
            agents[k]++;
            sums[k] += wealth[a];
            total += wealth[a];
        }

        return [.. distinct.Select((p, k) => new PolicyOutcome(p, agents[k], sums[k], total == 0 ? 0 : (double)sums[k] / total))];
    }
}
