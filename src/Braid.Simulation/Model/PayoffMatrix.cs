using System.Globalization;

namespace Braid.Simulation.Model;

/// <summary>
/// What one trade pays each side. The book's matrix (<see cref="Book"/>): both cooperate 2 each; one
/// cheats, the cheat gets 3 and the cheated -1; both cheat -1 each.
/// </summary>
/// <param name="Reward">Each side's payoff when both cooperate.</param>
/// <param name="Temptation">The cheat's payoff when the other cooperates.</param>
/// <param name="Sucker">The cooperator's payoff when the other cheats.</param>
/// <param name="Punishment">Each side's payoff when both cheat.</param>
public sealed record PayoffMatrix(int Reward, int Temptation, int Sucker, int Punishment)
{
    /// <summary>The book's payoffs: 2/2, 3/-1, -1/-1. A weak dilemma: cheating a cooperator gains only 1 over cooperating, and mutual cheating costs as much as being cheated.</summary>
    public static PayoffMatrix Book { get; } = new(2, 3, -1, -1);

    /// <summary>The payoffs of a trade: (first's, second's).</summary>
    /// <param name="first">The first side's move.</param>
    /// <param name="second">The second side's move.</param>
    /// <returns>Both payoffs.</returns>
    public (int First, int Second) Pay(Move first, Move second) => (first, second) switch
    {
        (Move.Cooperate, Move.Cooperate) => (Reward, Reward),
        (Move.Cooperate, _) => (Sucker, Temptation),
        (_, Move.Cooperate) => (Temptation, Sucker),
        _ => (Punishment, Punishment),
    };

    /// <summary>Reads <c>R,T,S,P</c> (whole numbers: both cooperate, cheat a cooperator, cheated, both cheat), as <c>--payoffs</c> takes it.</summary>
    /// <param name="text">The text.</param>
    /// <param name="matrix">The matrix, when the text is one.</param>
    /// <returns>Whether the text is four whole numbers.</returns>
    public static bool TryParse(string text, out PayoffMatrix? matrix)
    {
        matrix = null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new int[4];
        if (parts.Length != 4)
        {
            return false;
        }

        for (var i = 0; i < 4; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out values[i]))
            {
                return false;
            }
        }

        matrix = new PayoffMatrix(values[0], values[1], values[2], values[3]);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Reward},{Temptation},{Sucker},{Punishment}");
}
