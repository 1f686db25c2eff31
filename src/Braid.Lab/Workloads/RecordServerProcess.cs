using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Braid.Lab.Models;

namespace Braid.Lab.Workloads;

/// <summary>
/// The io workload's record server, run in a child process of the braid binary (<c>braid lab-worker</c>
/// with a server job) on 127.0.0.1, so that the CPU the server spends answering is not counted as
/// the model's (the models are measured with getrusage of this process, design rule 83). The child
/// serves until its stdin closes; disposing kills its process tree and waits for it, and if this
/// process dies first the kernel closes the pipe and the child ends: no orphan either way.
/// </summary>
internal sealed class RecordServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private RecordServerProcess(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The base address, such as <c>http://127.0.0.1:41234</c>.</summary>
    public string Address { get; }

    /// <summary>The child's process id.</summary>
    public int ProcessId => _process.Id;

    public static async Task<RecordServerProcess> StartAsync(IReadOnlyList<string> command, LabOptions options, CancellationToken cancellationToken)
    {
        var info = LabWorker.ChildStartInfo(command);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start the record server: {command[0]}");
        try
        {
            var job = new ServerJobLine
            {
                Server = new ServerJob
                {
                    LatencyMs = options.Latency.TotalMilliseconds,
                    JitterMs = options.Jitter.TotalMilliseconds,
                    FailureRate = options.FailureRate,
                    Seed = options.Seed,
                },
            };
            await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(job, WorkerProtocol.Json).AsMemory(), cancellationToken).ConfigureAwait(false);
            await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            var line = await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            var message = line is null ? null : JsonSerializer.Deserialize<WorkerMessage>(line, WorkerProtocol.Json);
            if (message is not { Type: "listening", Value: { Length: > 0 } address })
            {
                var stderr = await process.StandardError.ReadToEndAsync(CancellationToken.None).ConfigureAwait(false);
                throw new InvalidOperationException("the record server process did not start" + (stderr.Length > 0 ? ": " + stderr.Trim().Split('\n')[0] : ""));
            }

            return new RecordServerProcess(process, address);
        }
        catch
        {
            await EndAsync(process).ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync() => new(EndAsync(_process));

    private static async Task EndAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        process.Dispose();
    }
}
