namespace Braid.Simulation.Orleans;

/// <summary>
/// One trader as an Orleans grain, keyed by (agent index, run id). Only the pairing coordinator calls it,
/// and it calls no grain, so no call cycle can form (design rule 166). Moves and policies travel as their
/// byte values.
/// </summary>
public interface IAgentGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Sets the agent up for a run: its seed, policy and starting wealth.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="policy">The agent's policy (a rule-based <see cref="Model.Policy"/> as a byte).</param>
    /// <param name="wealth">The starting wealth.</param>
    /// <returns>A task that completes when the grain has its state.</returns>
    Task InitAsync(ulong seed, byte policy, long wealth);

    /// <summary>The agent's move this quarter (a <see cref="Model.Move"/> as a byte), from its policy and the last move made against it.</summary>
    /// <param name="quarter">The quarter, from 0.</param>
    /// <returns>The move.</returns>
    Task<byte> DecideAsync(int quarter);

    /// <summary>Adds the quarter's payoff, floors wealth at 0, remembers the partner's move; returns the new wealth.</summary>
    /// <param name="payoff">The quarter's payoff.</param>
    /// <param name="partnerMove">What the partner did (a <see cref="Model.Move"/> as a byte).</param>
    /// <returns>The agent's wealth after the quarter.</returns>
    Task<long> SettleAsync(int payoff, byte partnerMove);

    /// <summary>The id of the operating-system process whose silo holds this activation (the tests check that a cluster spreads the agents over processes).</summary>
    /// <returns>The process id.</returns>
    Task<int> ProcessIdAsync();
}
