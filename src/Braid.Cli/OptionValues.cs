using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Braid.Cli;

/// <summary>
/// How the braid command reads option values. Every option whose value can fail to parse gets its
/// parser here, so a bad value is one line that names the option and what it expects
/// (<c>--latency: 'abc' is not a number of milliseconds</c>), never System.CommandLine's own message,
/// which names the CLR type (<c>System.Nullable`1[System.Double]</c>). Values are read in the
/// invariant culture, so <c>--latency 2.5</c> means the same everywhere.
/// </summary>
internal static class OptionValues
{
    private static readonly ConditionalWeakTable<Option, string> Expectations = [];

    /// <summary>Reads one token as a value; false when it is not one.</summary>
    /// <typeparam name="T">The option's value type.</typeparam>
    /// <param name="text">The token.</param>
    /// <param name="value">The value, when the token is one.</param>
    /// <returns>Whether <paramref name="text"/> is a value.</returns>
    public delegate bool TryParse<T>(string text, out T value);

    /// <summary>A whole number (an <see cref="int"/> in the invariant culture); one beyond an <see cref="int"/> is "too large" or "too small", not "not a whole number".</summary>
    public static Option<int?> WholeNumber(this Option<int?> option) =>
        option.Parses("a whole number", (string text, out int? value) => Nullable(ParseInt(text, out var n), n, out value), WholeNumberComplaint);

    /// <inheritdoc cref="WholeNumber(Option{int?})"/>
    public static Option<int> WholeNumber(this Option<int> option) =>
        option.Parses("a whole number", ParseInt, WholeNumberComplaint);

    /// <summary>A number (a <see cref="double"/> in the invariant culture, such as <c>2.5</c> or <c>1e3</c>), described to the user as <paramref name="expected"/>.</summary>
    public static Option<double?> Number(this Option<double?> option, string expected) =>
        option.Parses(expected, (string text, out double? value) => Nullable(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n), n, out value));

    /// <summary>One of <paramref name="choices"/>, ignoring case; the value is the choice as written here.</summary>
    public static Option<string> OneOf(this Option<string> option, params string[] choices)
    {
        option.HelpName ??= string.Join('|', choices);
        return option.Parses(OneOf(choices), (string text, out string value) =>
        {
            value = choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase))!;
            return value is not null;
        });
    }

    /// <summary>A name that <paramref name="parse"/> knows, one of <paramref name="names"/> (a catalog's command-line names); null when the option is absent.</summary>
    public static Option<T?> OneOf<T>(this Option<T?> option, IReadOnlyList<string> names, TryParse<T?> parse)
        where T : class =>
        option.Parses(OneOf(names), parse);

    /// <summary>A comma-separated list of names that <paramref name="parse"/> knows, each one of <paramref name="names"/>; the first unknown name is the one reported.</summary>
    public static Option<IReadOnlyList<T>> ListOf<T>(this Option<IReadOnlyList<T>> option, IReadOnlyList<string> names, TryParse<T> parse)
    {
        var expected = OneOf(names);
        option.Arity = ArgumentArity.ExactlyOne; // one token, "a,b", not a token per item
        Expectations.AddOrUpdate(option, "a comma-separated list of " + string.Join(", ", names));
        option.CustomParser = result =>
        {
            if (result.Tokens.Count == 0)
            {
                return null;
            }

            var items = new List<T>();
            foreach (var name in Token(result).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!parse(name, out var item))
                {
                    result.AddError(Problem(option, name, expected));
                    return null;
                }

                items.Add(item);
            }

            return items;
        };
        return option;
    }

    /// <summary>Parses the option's value with <paramref name="parse"/>; a token it refuses is the error <c>--name: 'token' is not expected</c>.</summary>
    /// <typeparam name="T">The option's value type.</typeparam>
    /// <param name="option">The option.</param>
    /// <param name="expected">What a value is, after "is not": <c>a number of milliseconds</c>.</param>
    /// <param name="parse">Reads one token.</param>
    /// <param name="complaint">What is wrong with a refused token, after it (<c>is too large</c>); default <c>is not <paramref name="expected"/></c>.</param>
    /// <returns><paramref name="option"/>.</returns>
    public static Option<T> Parses<T>(this Option<T> option, string expected, TryParse<T> parse, Func<string, string>? complaint = null)
    {
        Expectations.AddOrUpdate(option, expected);
        option.CustomParser = result =>
        {
            if (result.Tokens.Count == 0)
            {
                return default;
            }

            var text = Token(result);
            if (parse(text, out var value))
            {
                return value;
            }

            result.AddError($"{option.Name}: '{text}' {complaint?.Invoke(text) ?? "is not " + expected}");
            return default;
        };
        return option;
    }

    /// <summary>What <paramref name="option"/>'s value is, as its parse errors say it (<c>a whole number</c>); null for free text and flags.</summary>
    public static string? Expected(Option option) => Expectations.TryGetValue(option, out var expected) ? expected : null;

    private static string OneOf(IReadOnlyList<string> choices) => "one of " + string.Join(", ", choices);

    private static string Problem(Option option, string text, string expected) => $"{option.Name}: '{text}' is not {expected}";

    private static bool ParseInt(string text, out int value) => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static string WholeNumberComplaint(string text) =>
        !BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? "is not a whole number"
        : n.Sign < 0 ? "is too small"
        : "is too large";

    // Single-value options: System.CommandLine has already refused a repeated value (arity).
    private static string Token(ArgumentResult result) => result.Tokens[^1].Value;

    private static bool Nullable<T>(bool parsed, T parsedValue, out T? value)
        where T : struct
    {
        value = parsed ? parsedValue : null;
        return parsed;
    }
}
