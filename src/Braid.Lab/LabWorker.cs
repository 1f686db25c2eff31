using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Braid.Lab.Measurement;
using Braid.Lab.Models;
using Braid.Lab.Workloads;

namespace Braid.Lab;

/// <summary>
/// The worker side of the processes model: what <c>braid lab-worker</c> runs. It reads one job line
/// (JSON) from its input, runs the job's tasks one after another with blocking I/O, writes one JSON
/// line per task and a final line with its own resource figures, and returns its exit code.
/// </summary>
public static class LabWorker
{
    /// <summary>The hidden verb of the braid command that runs a worker.</summary>
    public const string Verb = WorkerProtocol.Verb;

    /// <summary>
    /// The command line that starts a worker of the current program: the apphost and <see cref="Verb"/>,
    /// or <c>dotnet</c>, the entry assembly and <see cref="Verb"/> when the program runs under <c>dotnet</c>.
    /// </summary>
    /// <returns>The program and its arguments.</returns>
    public static IReadOnlyList<string> DefaultCommand()
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is unknown");
        var entry = Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(path) == "dotnet" && !string.IsNullOrEmpty(entry)
            ? [path, entry, Verb]
            : [path, Verb];
    }

    /// <summary>
    /// How the lab starts a child of its own (a processes-model worker, the record server): <paramref name="command"/>
    /// with its standard streams redirected (UTF-8 out) and no shell, so the parent talks to it in JSON lines.
    /// </summary>
    internal static ProcessStartInfo ChildStartInfo(IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return info;
    }

    /// <summary>Runs one worker job. Returns when every task of the job has run, or on cancellation.</summary>
    /// <param name="input">Where the job line comes from (the worker's stdin).</param>
    /// <param name="output">Where result lines go (the worker's stdout); flushed after every line.</param>
    /// <param name="cancellationToken">Stops the job between tasks and aborts a request in flight.</param>
    /// <returns>0 when the job ran, 2 for a missing or bad job line, 3 when the job asked for a test crash.</returns>
    /// <remarks>If the parent dies, the next write to its pipe fails and the worker ends: a worker never outlives its parent by more than one task.</remarks>
    public static async Task<int> RunAsync(TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var line = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        WorkerJob? job;
        try
        {
            if (line is not null && line.StartsWith("{\"server\":", StringComparison.Ordinal))
            {
                var server = JsonSerializer.Deserialize<ServerJobLine>(line, WorkerProtocol.Json);
                return server is null ? 2 : await ServeAsync(server.Server, input, output, cancellationToken).ConfigureAwait(false);
            }

            job = line is null ? null : JsonSerializer.Deserialize<WorkerJob>(line, WorkerProtocol.Json);
        }
        catch (JsonException)
        {
            job = null;
        }

        if (job is null)
        {
            await Console.Error.WriteLineAsync("braid lab-worker: expected one job line (JSON) on stdin").ConfigureAwait(false);
            return 2;
        }

        if (!LabCatalog.TryFindWorkload(job.Spec.Workload, out var workload) || workload.CannotRunIn(LabCatalog.Processes) is not null)
        {
            await Console.Error.WriteLineAsync($"braid lab-worker: '{job.Spec.Workload}' is not a built-in workload that worker processes run").ConfigureAwait(false);
            return 2;
        }

        var session = workload.OpenWorkerSession(job);
        await using (session.ConfigureAwait(false))
        {
            var done = 0;
            foreach (var index in job.Indices)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (job.CrashAfter is { } crash && done >= crash)
                {
                    return 3;
                }

                var start = Stopwatch.GetTimestamp();
                TaskOutcome outcome;
                try
                {
                    outcome = session.Run(index, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    outcome = TaskOutcome.Failure(e.GetType().Name + ": " + e.Message);
                }

                var message = new WorkerMessage { Type = "task", Index = index, Start = start, End = Stopwatch.GetTimestamp(), Ok = outcome.Ok, Value = outcome.Value };
                await output.WriteLineAsync(JsonSerializer.Serialize(message, WorkerProtocol.Json).AsMemory(), cancellationToken).ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                done++;
            }

            var stored = await session.CompleteAsync().ConfigureAwait(false);
            var usage = ProcessStats.Take();
            var status = ProcessStats.ReadStatus();
            var final = new WorkerMessage
            {
                Type = "done",
                Frequency = Stopwatch.Frequency,
                UserCpuMs = usage.UserCpuMs,
                SystemCpuMs = usage.SystemCpuMs,
                PeakRssBytes = Math.Max(status.Hwm, usage.MaxRssBytes),
                Threads = status.Threads,
                VoluntaryContextSwitches = usage.VoluntarySwitches,
                InvoluntaryContextSwitches = usage.InvoluntarySwitches,
                AllocatedBytes = usage.AllocatedBytes,
                StoredRows = stored,
            };
            await output.WriteLineAsync(JsonSerializer.Serialize(final, WorkerProtocol.Json).AsMemory(), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>
    /// Serves the io workload's records from this process, so that the server's CPU time is not
    /// counted as the models' (the parent measures itself with getrusage). Writes one line with the
    /// address, then answers until its input closes: the parent closes it, or dies and the kernel does.
    /// </summary>
    private static async Task<int> ServeAsync(ServerJob job, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        var server = await RecordServer.StartAsync(
            TimeSpan.FromMilliseconds(job.LatencyMs), TimeSpan.FromMilliseconds(job.JitterMs), job.FailureRate, job.Seed, cancellationToken).ConfigureAwait(false);
        await using (server.ConfigureAwait(false))
        {
            var ready = new WorkerMessage { Type = "listening", Value = server.Address };
            await output.WriteLineAsync(JsonSerializer.Serialize(ready, WorkerProtocol.Json).AsMemory(), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                // Nothing more is expected; the end of the input is the signal to stop.
            }
        }

        return 0;
    }
}
