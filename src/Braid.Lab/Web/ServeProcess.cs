using System.Diagnostics;

namespace Braid.Lab.Web;

/// <summary>
/// <c>braid serve</c> in a child process, started as the lab starts its other children
/// (<see cref="LabWorker.ChildStartInfo"/>): its first line of standard output is its URL. Disposing
/// kills its process tree and waits for it (design rule 86); its standard error is drained so a
/// chatty server never blocks on a full pipe, and its last lines explain a failed start.
/// </summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;

    private ServeProcess(Process process, Uri url, double startMs)
    {
        _process = process;
        Url = url;
        StartMs = startMs;
        ProcessId = process.Id;
    }

    public Uri Url { get; }

    public double StartMs { get; }

    public int ProcessId { get; }

    /// <summary>Whether the process was gone after <see cref="DisposeAsync"/> (false before it).</summary>
    public bool Exited { get; private set; }

    /// <summary>The default command: this program (as <see cref="LabWorker.DefaultCommand"/> runs it) with the verb <c>serve</c>, told to stop when its stdin closes.</summary>
    public static IReadOnlyList<string> DefaultCommand()
    {
        var worker = LabWorker.DefaultCommand();
        // The server stops when its stdin (held open by this process) closes, so it dies with the lab
        // even when the lab is killed outright and cannot kill it (rule 86).
        return [.. worker.Take(worker.Count - 1), "serve", "--until-stdin-closes"];
    }

    public static async Task<ServeProcess> StartAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var info = LabWorker.ChildStartInfo(command);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start the server: {command[0]}");
        var errors = new Queue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (errors)
                {
                    errors.Enqueue(line);
                    if (errors.Count > 20)
                    {
                        errors.Dequeue();
                    }
                }
            }
        };
        process.BeginErrorReadLine();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartTimeout);
            string? line;
            try
            {
                line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException($"the server printed no URL within {StartTimeout.TotalSeconds} s");
            }

            if (line is null || !Uri.TryCreate(line.Trim(), UriKind.Absolute, out var url))
            {
                await EndAsync(process).ConfigureAwait(false);
                string why;
                lock (errors)
                {
                    why = errors.LastOrDefault(l => l.Trim().Length > 0) ?? $"exit code {process.ExitCode}";
                }

                throw new InvalidOperationException("the server process did not start: " + why.Trim());
            }

            // Nothing else comes on standard output (docs/web.md), but drain it anyway.
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            return new ServeProcess(process, url, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch
        {
            await EndAsync(process).ConfigureAwait(false);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Exited)
        {
            Exited = await EndAsync(_process).ConfigureAwait(false);
            _process.Dispose();
        }
    }

    private static async Task<bool> EndAsync(Process process)
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
        return process.HasExited;
    }
}
