namespace Braid.Simulation.Model;

/// <summary>The command-line names of the policies: <c>random</c>, <c>cooperate</c>, <c>cheat</c>, <c>tit-for-tat</c>, <c>model</c>, and <c>mixed</c> (the four rule-based ones, dealt round-robin).</summary>
public static class PolicyNames
{
    /// <summary>Every name <see cref="TryParse"/> knows.</summary>
    public static IReadOnlyList<string> All { get; } = ["random", "cooperate", "cheat", "tit-for-tat", "model", "mixed"];

    /// <summary>The name of <paramref name="policy"/>.</summary>
    /// <param name="policy">A policy.</param>
    /// <returns>Its name.</returns>
    public static string Name(Policy policy) => policy switch
    {
        Policy.Random => "random",
        Policy.Cooperate => "cooperate",
        Policy.Cheat => "cheat",
        Policy.TitForTat => "tit-for-tat",
        Policy.Model => "model",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "not a policy"),
    };

    /// <summary>Reads a name (case-insensitive) as the policies dealt to agents round-robin; <c>mixed</c> is the four rule-based policies.</summary>
    /// <param name="name">The name.</param>
    /// <param name="policies">The policies, when the name is known.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParse(string name, out IReadOnlyList<Policy> policies)
    {
        policies = name.Trim().ToLowerInvariant() switch
        {
            "random" => [Policy.Random],
            "cooperate" => [Policy.Cooperate],
            "cheat" => [Policy.Cheat],
            "tit-for-tat" => [Policy.TitForTat],
            "model" => [Policy.Model],
            "mixed" => [Policy.Random, Policy.Cooperate, Policy.Cheat, Policy.TitForTat],
            _ => [],
        };
        return policies.Count > 0;
    }
}
