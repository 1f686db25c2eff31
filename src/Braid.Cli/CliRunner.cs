using System.CommandLine;
using System.CommandLine.Parsing;

namespace Braid.Cli;

/// <summary>Runs a parsed command line with Braid's conventions for errors and exit codes.</summary>
internal static class CliRunner
{
    /// <summary>Exit code for bad input (flags, files, URLs, configs).</summary>
    public const int BadInput = 2;

    /// <summary>Parses <paramref name="args"/> and runs the chosen command; a parse error prints one line (the first error) and returns <see cref="BadInput"/>.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync(ErrorLine(parsed, args));
            return BadInput;
        }

        // Ctrl-C / SIGTERM cancel the action's token; the action then has this long to stop cleanly and
        // write what it measured (the lab kills its worker processes and writes its reports).
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
    }

    /// <summary>
    /// The one line for a command line that did not parse: <c>braid lab: --latency: 'abc' is not a number of milliseconds</c>.
    /// Bad values are the options' own parsers' messages (<see cref="OptionValues"/>); a missing value says what
    /// the option expects; a flag given a value that is not true or false says so; System.CommandLine's other
    /// messages (unknown or repeated options) keep their first line.
    /// </summary>
    internal static string ErrorLine(ParseResult parsed, IReadOnlyList<string> args)
    {
        var error = parsed.Errors[0];
        var message = FlagValue(parsed, args) ?? error.SymbolResult switch
        {
            OptionResult { Tokens.Count: 0, Implicit: false } missing when missing.Option.Arity.MinimumNumberOfValues > 0 =>
                $"{missing.Option.Name}: expects {OptionValues.Expected(missing.Option) ?? "a value"}",
            _ => error.Message.Split('\n')[0].TrimEnd(),
        };
        return $"{CommandPath(parsed.CommandResult)}: {message}";
    }

    // "--quick=maybe": a flag takes its value only when it is true or false, so System.CommandLine leaves
    // "maybe" unmatched and calls it an unknown argument, without naming the flag it was written to.
    private static string? FlagValue(ParseResult parsed, IReadOnlyList<string> args)
    {
        if (parsed.UnmatchedTokens.Count == 0)
        {
            return null;
        }

        foreach (var arg in args)
        {
            var split = arg.IndexOfAny(['=', ':']);
            if (split < 0 || bool.TryParse(arg[(split + 1)..], out _))
            {
                continue;
            }

            var name = arg[..split];
            if (parsed.CommandResult.Command.Options.FirstOrDefault(o => o.ValueType == typeof(bool) && (o.Name == name || o.Aliases.Contains(name))) is { } flag)
            {
                return $"{flag.Name}: '{arg[(split + 1)..]}' is not true or false";
            }
        }

        return null;
    }

    private static string CommandPath(CommandResult command) =>
        command.Parent is CommandResult parent ? $"{CommandPath(parent)} {command.Command.Name}" : "braid";
}
