using System.Diagnostics;
using System.Diagnostics.Tracing;
using Braid.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;

namespace Braid.Tracing;

/// <summary>
/// <c>braid trace</c>'s library: an EventPipe session on a running .NET process, or on a command started
/// suspended on a diagnostic port and resumed once the session runs (so the trace starts before
/// <c>Main</c>), folded into a <see cref="TraceReport"/>. The default profile is cheap: the runtime's
/// thread-pool, contention and wait-handle events, the <c>System.Runtime</c> counters once a second and
/// Braid's event source; <see cref="TraceOptions.Causality"/> adds the TPL's task events. The session is
/// copied to a temporary file while it runs and read once it stopped, so the stacks its wait events carry
/// can be named (docs/design.md rule 178); the report comes a moment after the trace ends.
/// </summary>
public static class ProcessTracer
{
    /// <summary>
    /// Traces <paramref name="processId"/> for <see cref="TraceOptions.Duration"/> (or until
    /// <paramref name="cancellationToken"/> is cancelled, which ends the trace early and still reports).
    /// </summary>
    /// <param name="processId">The process.</param>
    /// <param name="options">What to record; a duration is required.</param>
    /// <param name="cancellationToken">Ends the session early; the report covers what was seen.</param>
    /// <returns>The report.</returns>
    /// <exception cref="TracingException">No such process, not a .NET process, or its diagnostic port refused the session.</exception>
    public static async Task<TraceReport> TraceAsync(int processId, TraceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var duration = options.Duration ?? throw new ArgumentException("a duration is required to trace a running process", nameof(options));
        Process process;
        try
        {
            process = Process.GetProcessById(processId);
        }
        catch (ArgumentException)
        {
            throw new TracingException($"no process with id {processId} (it does not exist or has exited)");
        }

        using (process)
        {
            var client = new DiagnosticsClient(processId);
            var session = Start(client, options, processId, process.ProcessName);
            options.Started?.Invoke();
            using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            window.CancelAfter(duration);
            return await RecordAsync(session, options, processId, process.WaitForExitAsync(window.Token), window.Token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts <paramref name="program"/> suspended on a diagnostic port, opens the session, resumes it and
    /// traces it until it exits (or for <see cref="TraceOptions.Duration"/> when set, or until
    /// <paramref name="cancellationToken"/>, after which the program is killed: braid started it). The
    /// program's standard streams are this process's.
    /// </summary>
    /// <param name="program">The program (a .NET apphost, or <c>dotnet</c> with a dll).</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="options">What to record.</param>
    /// <param name="cancellationToken">Ends the session early, and the program with it.</param>
    /// <returns>The report.</returns>
    /// <exception cref="TracingException">The program cannot be started, or it is not a .NET program.</exception>
    public static async Task<TraceReport> TraceCommandAsync(string program, IReadOnlyList<string> arguments, TraceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var port = Path.Combine(Path.GetTempPath(), $"braid-trace-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        using var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var connector = DiagnosticsClientConnector.FromDiagnosticPort(port, connecting.Token);
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_DiagnosticPorts"] = port; // connect and suspend: the runtime waits for us before Main
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new TracingException($"cannot start {program}");
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            await connecting.CancelAsync().ConfigureAwait(false);
            throw new TracingException($"cannot start {program}: it was not found or is not executable", error);
        }

        using (process)
        {
            var exited = process.WaitForExitAsync(CancellationToken.None);
            if (await Task.WhenAny(connector, exited).ConfigureAwait(false) != connector)
            {
                await connecting.CancelAsync().ConfigureAwait(false);
                throw new TracingException($"{program} exited (code {process.ExitCode}) before its runtime connected: it is not a .NET program, or it failed to start");
            }

            await using var connected = await connector.ConfigureAwait(false);
            var session = Start(connected.Instance, options, process.Id, program);
            connected.Instance.ResumeRuntime();
            options.Started?.Invoke();
            using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (options.Duration is { } duration)
            {
                window.CancelAfter(duration);
            }

            var report = await RecordAsync(session, options, process.Id, process.WaitForExitAsync(window.Token), window.Token).ConfigureAwait(false);
            File.Delete(port);

            // braid started it, so braid ends it when the trace ends first (the duration, Ctrl-C), as nothing else would.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return report;
        }
    }

    private static EventPipeSession Start(DiagnosticsClient client, TraceOptions options, int processId, string name)
    {
        var providers = new List<EventPipeProvider>
        {
            // Contention 0x4000, Threading (thread pool) 0x10000, WaitHandle 0x40000000000 (its events are
            // verbose), and for naming the stacks those events carry: Loader 0x8, Jit 0x10 (methods compiled
            // while traced) and CompilationDiagnostic 0x2000000000 (ready-to-run methods first used); the rest
            // of the method names come from the rundown when the session stops.
            new("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, 0x4000 | 0x10000 | 0x40000000000 | 0x8 | 0x10 | 0x2000000000),
            new("System.Runtime", EventLevel.Informational, 0, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" }),
            new("Braid", EventLevel.Informational, 0xF),
        };
        if (options.Causality)
        {
            // TaskTransfer 0x1, Tasks 0x2, AsyncCausalityOperation 0x8, Relation 0x10, SynchronousWork 0x20, TaskStops 0x40.
            providers.Add(new("System.Threading.Tasks.TplEventSource", EventLevel.Informational, 0x7B));
        }

        try
        {
            return client.StartEventPipeSession(providers, requestRundown: true, circularBufferMB: 64);
        }
        catch (ServerNotAvailableException error)
        {
            throw new TracingException($"process {processId} ({name}) has no .NET diagnostic port: it is not a .NET process, it runs as another user, or it disabled diagnostics (DOTNET_EnableDiagnostics=0)", error);
        }
        catch (UnauthorizedAccessException error)
        {
            throw new TracingException($"cannot trace process {processId} ({name}): permission denied (it belongs to another user); run braid as its user or as root", error);
        }
        catch (Exception error) when (error is DiagnosticsClientException or IOException or TimeoutException)
        {
            throw new TracingException($"cannot trace process {processId} ({name}): {error.Message}", error);
        }
    }

    // The session is copied to a file as it runs and read once it stopped, through a TraceLog: the rundown
    // sent at the stop names the methods of the stacks the events carry (rule 178).
    private static async Task<TraceReport> RecordAsync(EventPipeSession session, TraceOptions options, int processId, Task exitedOrWindow, CancellationToken window)
    {
        var file = Path.Combine(Path.GetTempPath(), $"braid-trace-{processId}-{Guid.NewGuid():N}.nettrace");
        var clock = Stopwatch.StartNew();
        try
        {
            using (session)
            {
                var copying = Task.Run(
                    async () =>
                    {
                        await using var output = File.Create(file);
                        await session.EventStream.CopyToAsync(output).ConfigureAwait(false);
                    },
                    CancellationToken.None);
                try
                {
                    await exitedOrWindow.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (window.IsCancellationRequested)
                {
                }

                var traced = clock.Elapsed;
                try
                {
                    await session.StopAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception error) when (error is ServerNotAvailableException or IOException or ObjectDisposedException or DiagnosticsClientException)
                {
                    // The process exited: its stream has ended on its own.
                }

                await copying.ConfigureAwait(false);
                return await Task.Run(() => Read(file, options, processId, traced), CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            File.Delete(file);
            File.Delete(Path.ChangeExtension(file, ".etlx"));
        }
    }

    private static TraceReport Read(string file, TraceOptions options, int processId, TimeSpan traced)
    {
        using var timeline = options.Timeline is { } stream ? new ChromeTraceWriter(stream, processId, leaveOpen: true) : null;
        var recorder = new TraceRecorder(timeline);
        if (new FileInfo(file).Length > 0)
        {
            using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(file, Path.ChangeExtension(file, ".etlx")));
            using var source = log.Events.GetSource();
            source.Clr.All += recorder.Handle;
            source.Dynamic.All += recorder.Handle;
            source.UnhandledEvents += recorder.Handle;
            source.Process();
            recorder.Finish(log.SessionEndTimeRelativeMSec);
        }

        return new TraceReport(recorder, traced, processId, options.Causality);
    }
}
