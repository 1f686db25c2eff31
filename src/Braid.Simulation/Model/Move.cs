namespace Braid.Simulation.Model;

/// <summary>An agent's move in one trade.</summary>
public enum Move : byte
{
    /// <summary>No move (an agent that has not traded yet, or sat out).</summary>
    None = 0,

    /// <summary>Trade honestly.</summary>
    Cooperate = 1,

    /// <summary>Cheat.</summary>
    Defect = 2,
}
