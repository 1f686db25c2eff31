using System.CommandLine;

namespace Braid.Cli.Commands;

/// <summary><c>braid lab</c>: one workload, every execution model, measured (issue 5).</summary>
internal static class LabCommand
{
    public static Command Create()
    {
        var command = new Command("lab", "Run one workload under every execution model and measure it.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("braid lab: not built yet (issue 5).");
            return CliRunner.BadInput;
        });
        return command;
    }
}
