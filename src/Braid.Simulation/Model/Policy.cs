namespace Braid.Simulation.Model;

/// <summary>How an agent decides its move.</summary>
public enum Policy : byte
{
    /// <summary>Cooperate or defect with even odds, from the agent's stream for the quarter.</summary>
    Random = 0,

    /// <summary>Always cooperate.</summary>
    Cooperate = 1,

    /// <summary>Always cheat.</summary>
    Cheat = 2,

    /// <summary>Cooperate first, then do what the last partner did to this agent.</summary>
    TitForTat = 3,

    /// <summary>Ask a language model; fall back to tit-for-tat when its answer is late, wrong or missing.</summary>
    Model = 4,
}
