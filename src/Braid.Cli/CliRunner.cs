using System.CommandLine;

namespace Braid.Cli;

/// <summary>Runs a parsed command line with Braid's conventions for errors and exit codes.</summary>
internal static class CliRunner
{
    /// <summary>Exit code for bad input (flags, files, URLs, configs).</summary>
    public const int BadInput = 2;

    /// <summary>Parses <paramref name="args"/> and runs the chosen command; parse errors print one line each and return <see cref="BadInput"/>.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync($"braid: {error.Message}");
            }

            await Console.Error.WriteLineAsync("Run 'braid --help' for usage.");
            return BadInput;
        }

        // Ctrl-C / SIGTERM cancel the action's token; the action then has this long to stop cleanly and
        // write what it measured (the lab kills its worker processes and writes its reports).
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
    }
}
