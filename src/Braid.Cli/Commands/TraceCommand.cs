using System.CommandLine;
using System.Globalization;
using Braid.Lab.Output;
using Braid.Tracing;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid trace -- COMMAND...</c> and <c>braid trace --pid PID --duration 10s</c> (issue 14): an EventPipe
/// session folded into a verdict by <see cref="ProcessTracer"/>, and with <c>--perfetto FILE</c> a Perfetto
/// timeline written by <c>Braid.Diagnostics</c>' trace writer; this file parses and renders.
/// </summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var pid = new Option<int?>("--pid") { Description = "Trace this running .NET process (with --duration)" }.WholeNumber();
        var duration = new Option<TimeSpan?>("--duration")
        {
            Description = "How long to trace: 10s, 500ms, 2m (default: 10s with --pid; until the command exits otherwise)",
        }.Parses("a duration such as 10s, 500ms or 2m", TryParseDuration);
        var causality = new Option<bool>("--causality") { Description = "Add the TPL's task events (costly: up to 95% of async throughput)" };
        var perfetto = new Option<string?>("--perfetto") { Description = "Also write a Chrome/Perfetto trace (open it in ui.perfetto.dev) to this file" };
        var command = new Argument<string[]>("COMMAND") { Description = "The program to start and trace from before Main, after --", Arity = ArgumentArity.ZeroOrMore };
        var trace = new Command("trace", "Trace a .NET process with EventPipe and print the verdict: starvation, blocking, lock hot spots.")
        {
            pid, duration, causality, perfetto, command,
        };
        trace.SetAction((parsed, cancellationToken) => RunAsync(
            new Arguments(parsed.GetValue(pid), parsed.GetValue(duration), parsed.GetValue(causality), parsed.GetValue(command) ?? [], parsed.GetValue(perfetto)),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            cancellationToken));
        return trace;
    }

    /// <summary>The command's parsed arguments.</summary>
    internal sealed record Arguments(int? Pid, TimeSpan? Duration, bool Causality, IReadOnlyList<string> Command, string? Perfetto = null);

    /// <summary>Traces and prints the report; bad input is one line and <see cref="CliRunner.BadInput"/>. Ctrl-C ends the trace early and still reports.</summary>
    internal static async Task<int> RunAsync(Arguments arguments, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (arguments.Pid is null == (arguments.Command.Count == 0))
        {
            return await BadInputAsync(stderr, "give either --pid PID or a command after --, not both");
        }

        if (arguments.Duration is { } d && d <= TimeSpan.Zero)
        {
            return await BadInputAsync(stderr, "--duration must be positive");
        }

        if (arguments.Perfetto is { } file && (file == OutputFile.StandardOutput ? "--perfetto: the report already goes to standard output" : OutputFile.Check(file)) is { } fileProblem)
        {
            return await BadInputAsync(stderr, fileProblem);
        }

        if (arguments.Causality)
        {
            await stderr.WriteLineAsync("braid trace: causality profile on: TPL task events cost the traced program up to 95% of its async throughput");
        }

        TraceReport report;
        using var timeline = arguments.Perfetto is null ? null : new MemoryStream();
        try
        {
            var options = new TraceOptions
            {
                Duration = arguments.Pid is not null ? arguments.Duration ?? TimeSpan.FromSeconds(10) : arguments.Duration,
                Causality = arguments.Causality,
                Timeline = timeline,
            };
            report = arguments.Pid is { } pid
                ? await ProcessTracer.TraceAsync(pid, options, cancellationToken)
                : await ProcessTracer.TraceCommandAsync(arguments.Command[0], [.. arguments.Command.Skip(1)], options, cancellationToken);
        }
        catch (TracingException e)
        {
            return await BadInputAsync(stderr, e.Message);
        }

        await stdout.WriteAsync(report.ToText());
        if (arguments.Perfetto is { } path && timeline is not null)
        {
            // Written whole once the trace is complete (rule 90: no partial output file).
            try
            {
                timeline.Position = 0;
                await OutputFile.WriteAsync(path, timeline.CopyToAsync, CancellationToken.None);
            }
            catch (Exception e) when (OutputFile.IsFileError(e))
            {
                return await BadInputAsync(stderr, $"cannot write {path}: {OutputFile.Reason(e)}");
            }

            await stderr.WriteLineAsync($"braid trace: Perfetto trace written to {path} (open it in ui.perfetto.dev)");
        }

        return 0;
    }

    /// <summary><c>10s</c>, <c>500ms</c>, <c>2m</c>, or a plain number of seconds.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan? value)
    {
        value = null;
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        value = TimeSpan.FromSeconds(amount * scale);
        return true;
    }

    private static async Task<int> BadInputAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"braid trace: {message}");
        return CliRunner.BadInput;
    }
}
