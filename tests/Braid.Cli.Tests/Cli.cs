namespace Braid.Cli.Tests;

/// <summary>Runs the braid command tree in-process, with its output and errors captured.</summary>
internal static class Cli
{
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CliRunner.InvokeAsync(BraidCommand.CreateRoot(), args, stdout, stderr);
        return (exit, stdout.ToString().ReplaceLineEndings("\n"), stderr.ToString().ReplaceLineEndings("\n"));
    }
}
