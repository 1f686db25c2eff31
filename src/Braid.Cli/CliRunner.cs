using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;

namespace Braid.Cli;

/// <summary>Runs a parsed command line with Braid's conventions for errors and exit codes.</summary>
internal static class CliRunner
{
    /// <summary>Exit code for bad input (flags, files, URLs, configs).</summary>
    public const int BadInput = 2;

    /// <summary>Parses <paramref name="args"/> and runs the chosen command; a parse error prints one line (the first error) and returns <see cref="BadInput"/>.</summary>
    /// <param name="root">The command tree (<see cref="BraidCommand.CreateRoot"/>).</param>
    /// <param name="args">The command line, without the program.</param>
    /// <param name="stdout">Where output goes (default: the console); tests pass a writer to run the tree in-process.</param>
    /// <param name="stderr">Where errors and warnings go (default: the console).</param>
    /// <param name="cancellationToken">Stops the command, as Ctrl-C does.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> InvokeAsync(Command root, string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken cancellationToken = default)
    {
        stderr ??= Console.Error;
        var parsed = root.Parse(args);
        if (UnknownCommand(parsed) is { } unknown)
        {
            await stderr.WriteAsync(CommandList(root, $"braid: unknown command '{unknown}'"));
            return BadInput;
        }

        if (parsed.Errors.Count > 0)
        {
            await stderr.WriteLineAsync(ErrorLine(parsed, args));
            return BadInput;
        }

        // Ctrl-C / SIGTERM cancel the action's token; the action then has this long to stop cleanly and
        // write what it measured (the lab kills its worker processes and writes its reports). In-process
        // callers pass their own token and no handler is installed.
        var configuration = new InvocationConfiguration
        {
            ProcessTerminationTimeout = stdout is null ? TimeSpan.FromSeconds(30) : null,
            Output = stdout ?? Console.Out,
            Error = stderr,
        };
        // SIGHUP (the terminal closed, or 'kill -HUP') stops a run as Ctrl-C does: files written, temporary
        // stores removed. System.CommandLine handles only SIGINT and SIGTERM.
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var registration = stdout is null && !OperatingSystem.IsWindows()
            ? PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true; // the run ends itself, then the process exits with its code
                hangUp.Cancel();
            })
            : null;
        return await parsed.InvokeAsync(configuration, hangUp.Token);
    }

    /// <summary><paramref name="first"/>, then the visible commands with their descriptions' first sentence, then where to read more; every line ends with a newline.</summary>
    internal static string CommandList(Command root, string first)
    {
        var commands = root.Subcommands.Where(c => !c.Hidden).ToList();
        var width = commands.Max(c => c.Name.Length);
        var lines = new List<string> { first, "commands:" };
        lines.AddRange(commands.Select(c => $"  {c.Name.PadRight(width)}  {Summary(c.Description)}"));
        lines.Add("run 'braid COMMAND --help' for a command's options");
        return string.Concat(lines.Select(l => l + "\n"));
    }

    // A first token that is not a command (or is an option the root does not have): 'braid frobnicate',
    // 'braid help', 'braid LAB' (commands are lower case), 'braid --frob'.
    private static string? UnknownCommand(ParseResult parsed) =>
        parsed.CommandResult == parsed.RootCommandResult && parsed.UnmatchedTokens.Count > 0 ? parsed.UnmatchedTokens[0] : null;

    private static string Summary(string? description)
    {
        var text = description ?? "";
        var end = text.IndexOfAny(['.', ':']);
        return end < 0 ? text : text[..end];
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
    // "maybe" unmatched and calls it an unknown argument (or, for a command with an argument, such as
    // 'braid load URL', takes it as that argument), without naming the flag it was written to.
    private static string? FlagValue(ParseResult parsed, IReadOnlyList<string> args)
    {
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
