namespace Braid.Simulation.Model;

/// <summary>How the agents of one policy ended a run.</summary>
/// <param name="Policy">The policy.</param>
/// <param name="Agents">How many agents had it.</param>
/// <param name="Wealth">What they held together at the end.</param>
/// <param name="WealthShare">Their share of all wealth at the end (0 when nobody holds anything).</param>
public sealed record PolicyOutcome(Policy Policy, int Agents, long Wealth, double WealthShare);
