namespace Braid.Simulation.Model;

/// <summary>The population at the end of one year.</summary>
/// <param name="Year">The year, from 1.</param>
/// <param name="Gini">The Gini coefficient of wealth (0: all equal; (n-1)/n: one holds all; 0 when nobody holds anything).</param>
/// <param name="TotalWealth">The sum of all wealth.</param>
/// <param name="Cooperations">Cooperative moves made during the year.</param>
/// <param name="Defections">Cheating moves made during the year.</param>
/// <param name="ModelDecisions">Moves the language model made (not fallbacks).</param>
/// <param name="Fallbacks">Model decisions that fell back to tit-for-tat.</param>
/// <param name="SitOuts">The agent that sat out each quarter of the year (odd populations), or -1.</param>
public sealed record YearRecord(int Year, double Gini, long TotalWealth, long Cooperations, long Defections, long ModelDecisions, long Fallbacks, IReadOnlyList<int> SitOuts)
{
    /// <summary>Moves made during the year.</summary>
    public long Decisions => Cooperations + Defections;

    /// <summary>The share of moves that cooperated (0 when nobody moved).</summary>
    public double CooperationShare => Decisions == 0 ? 0 : (double)Cooperations / Decisions;
}
