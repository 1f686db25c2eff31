using System.Globalization;

namespace Braid.Lab.Reports;

/// <summary>Counts as words: <c>1 lane</c>, <c>2 lanes</c>, <c>1,024 tasks</c>. Every count the HTML report prints goes through here.</summary>
internal static class Plural
{
    /// <summary><paramref name="count"/> (grouped by thousands) and the noun, singular for exactly one.</summary>
    /// <param name="count">How many.</param>
    /// <param name="one">The singular (<c>worker</c>).</param>
    /// <param name="many">The plural, when it is not the singular plus <c>s</c> (<c>processes</c>).</param>
    public static string Count(long count, string one, string? many = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {(count == 1 ? one : many ?? one + "s")}");
}
