using Braid.Cli;

// The braid command. Each command is a thin shell over a library type (docs/design.md rule 98):
// it parses, calls the library, renders. Bad input ends with one line on stderr and exit code 2.
return await CliRunner.InvokeAsync(BraidCommand.CreateRoot(), args);
