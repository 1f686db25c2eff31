using Braid.Cli;

// The braid command. Each command is a thin shell over a library type (docs/design.md rule 103):
// it parses, calls the library, renders. Bad input ends with one line on stderr and exit code 2.
if (args is ["load", ..])
{
    // Before any socket opens: completions on the socket engine's threads (docs/design.md rule 147).
    Braid.Load.LoadGenerator.PreferInlineSocketCompletions();
}

return await CliRunner.InvokeAsync(BraidCommand.CreateRoot(), args);
