namespace Braid.Simulation.Model;

/// <summary>What one run of the trading model produced.</summary>
public sealed class TradeSimulationResult
{
    /// <summary>The run's options.</summary>
    public required TradeSimulationOptions Options { get; init; }

    /// <summary>One record per year, in order.</summary>
    public required IReadOnlyList<YearRecord> Years { get; init; }

    /// <summary>Every agent's wealth at the end, by agent index.</summary>
    public required IReadOnlyList<long> FinalWealth { get; init; }

    /// <summary>Agents per final-wealth bin: <see cref="TradeSimulationOptions.HistogramBins"/> equal bins from 0 to <see cref="HistogramMax"/>.</summary>
    public required IReadOnlyList<long> Histogram { get; init; }

    /// <summary>The top of the histogram's last bin (the largest final wealth, at least 1).</summary>
    public required long HistogramMax { get; init; }

    /// <summary>Each policy's agents and wealth at the end.</summary>
    public required IReadOnlyList<PolicyOutcome> Policies { get; init; }

    /// <summary>Model decisions that fell back to tit-for-tat, by reason (<c>timeout</c>, <c>invalid answer</c>, <c>http 500</c>, <c>unreachable</c>, <c>error</c>).</summary>
    public required IReadOnlyDictionary<string, long> Fallbacks { get; init; }

    /// <summary>The first failure that made the model unreachable, if one did (the CLI's one warning line).</summary>
    public string? ModelUnreachable { get; init; }

    /// <summary>Moves made in the whole run.</summary>
    public long Decisions => Years.Sum(y => y.Decisions);

    /// <summary>The share of moves the language model made (0 when none were made).</summary>
    public double ModelShare => Decisions == 0 ? 0 : (double)Years.Sum(y => y.ModelDecisions) / Decisions;

    /// <summary>The final Gini coefficient (0 for a run of no years).</summary>
    public double FinalGini => Years.Count == 0 ? 0 : Years[^1].Gini;

    /// <summary>A 64-bit fingerprint of the final wealth, for comparing runs.</summary>
    public ulong WealthChecksum => Kernel.SeededRandom.Hash((ulong)FinalWealth.Count, 0, FinalWealth.Aggregate(0UL, (h, w) => Kernel.SeededRandom.Hash(h, (ulong)w, 1)));
}
