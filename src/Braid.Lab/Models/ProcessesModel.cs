using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Braid.Lab.Measurement;
using Braid.Lab.Workloads;

namespace Braid.Lab.Models;

/// <summary>
/// The processes model: N worker processes of the braid binary (<c>braid lab-worker</c>), the task
/// indices split into contiguous blocks, one block per worker; each worker runs its block sequentially
/// with blocking I/O and streams one JSON line per task back over its stdout pipe. A worker that dies
/// is reported and its missing tasks are counted as failed. On cancellation, or on any way out of
/// <see cref="RunAsync"/>, every worker's process tree is killed and waited for: no orphan is left
/// behind (design rule 86). Workers find the workload by name in <see cref="LabCatalog"/>, so this model
/// runs the built-in workloads only (<see cref="LabOptions.Validate"/> says so).
/// </summary>
internal sealed class ProcessesModel : LabModel
{
    public ProcessesModel()
        : base("processes")
    {
    }

    public override LabSettings Settings => LabSettings.Workers;

    internal override bool RunsOutOfProcess => true;

    public override string Describe(LabOptions options) => string.Create(
        CultureInfo.InvariantCulture,
        $"{options.Workers} worker processes of the braid binary, tasks partitioned in contiguous blocks, each worker sequential with blocking I/O");

    /// <summary>Runs the model; <see cref="LabTasks.Workers"/> receives one entry per worker started, even when the run is cancelled or fails.</summary>
    /// <remarks>Each worker's store is named after the run (model and repeat) and the worker.</remarks>
    public override async Task RunAsync(LabTasks tasks, CancellationToken cancellationToken)
    {
        var options = tasks.Options;
        var spec = tasks.Fixture.WorkerSpec(tasks.RunName)
            ?? throw new InvalidOperationException($"the {Name} model runs only the built-in workloads");
        var command = options.WorkerCommand ?? LabWorker.DefaultCommand();
        var log = tasks.Log;
        var count = Math.Min(options.Workers, log.Count);
        var workers = new Worker[count];
        try
        {
            for (var k = 0; k < count; k++)
            {
                var indices = Enumerable.Range(k * log.Count / count, ((k + 1) * log.Count / count) - (k * log.Count / count)).ToArray();
                workers[k] = Worker.Start(k, command, indices);
            }

            using var kill = cancellationToken.Register(() =>
            {
                foreach (var worker in workers)
                {
                    worker?.Kill();
                }
            });

            var runs = new Task[count];
            for (var k = 0; k < count; k++)
            {
                var job = new WorkerJob { Worker = k, Spec = spec, Run = tasks.RunName, Indices = workers[k].Indices, Store = $"{tasks.RunName}-w{k}", CrashAfter = options.WorkerCrashAfter };
                runs[k] = workers[k].RunAsync(job, log, cancellationToken);
            }

            await Task.WhenAll(runs).ConfigureAwait(false);
        }
        finally
        {
            foreach (var worker in workers)
            {
                if (worker is not null)
                {
                    await worker.EndAsync().ConfigureAwait(false);
                    tasks.Workers.Add(worker.Result(cancellationToken.IsCancellationRequested));
                }
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        tasks.StoredRows = workers.Any(w => w.StoredRows is not null) ? workers.Sum(w => w.StoredRows ?? 0) : null;
    }

    /// <summary>The lane number of worker k in the task log (negative, to keep it apart from thread ids).</summary>
    public static int Lane(int worker) => -1 - worker;

    private sealed class Worker
    {
        private readonly Process _process;
        private readonly long _started;
        private readonly StringBuilder _stderr = new();
        private Task _stderrPump = Task.CompletedTask;
        private WorkerMessage? _done;
        private int _returned;
        private long _firstTask;
        private long _exited;
        private string? _error;

        private Worker(int number, Process process, int[] indices, long started)
        {
            Number = number;
            _process = process;
            Indices = indices;
            _started = started;
        }

        public int Number { get; }

        public int[] Indices { get; }

        public long? StoredRows => _done?.StoredRows;

        public static Worker Start(int number, IReadOnlyList<string> command, int[] indices)
        {
            var info = LabWorker.ChildStartInfo(command);
            var started = Stopwatch.GetTimestamp();
            var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start worker {number}: {command[0]}");
            var worker = new Worker(number, process, indices, started);
            worker._stderrPump = worker.PumpStderrAsync();
            return worker;
        }

        public async Task RunAsync(WorkerJob job, TaskLog log, CancellationToken cancellationToken)
        {
            var lane = Lane(Number);
            try
            {
                await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(job, WorkerProtocol.Json).AsMemory(), cancellationToken).ConfigureAwait(false);
                await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
                _process.StandardInput.Close();
                while (await _process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    var message = JsonSerializer.Deserialize<WorkerMessage>(line, WorkerProtocol.Json);
                    if (message?.Type == "task" && message.Index >= 0 && message.Index < log.Count)
                    {
                        if (_returned++ == 0)
                        {
                            _firstTask = message.Start;
                        }

                        var outcome = new TaskOutcome(message.Ok, message.Value ?? "");
                        log.RecordRaw(message.Index, message.Start, message.End, lane, outcome);
                    }
                    else if (message?.Type == "done")
                    {
                        _done = message;
                    }
                }
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                _error = $"worker {Number} broke its pipe: {e.Message}";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Kill();
                throw;
            }

            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            _exited = Stopwatch.GetTimestamp();
            await _stderrPump.ConfigureAwait(false);
            if (_done is null || _process.ExitCode != 0)
            {
                var missing = Indices.Where(i => !log.Slots[i].Ran).ToArray();
                var now = Stopwatch.GetTimestamp();
                var reason = string.Create(CultureInfo.InvariantCulture, $"worker {Number} (pid {_process.Id}) exited with code {_process.ExitCode} after {_returned} of {Indices.Length} tasks");
                foreach (var index in missing)
                {
                    log.RecordRaw(index, now, now, lane, TaskOutcome.Failure("lost: " + reason));
                }

                var stderr = StderrTail();
                _error ??= reason + (missing.Length > 0 ? $"; {missing.Length} tasks counted failed" : "") + (stderr.Length > 0 ? "; stderr: " + stderr : "");
            }
        }

        public void Kill()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        /// <summary>Kills the worker if it is still running and waits for it, so that none outlives the model.</summary>
        public async Task EndAsync()
        {
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await _stderrPump.ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The pipe closed under us: nothing more to read.
            }

            if (_exited == 0)
            {
                _exited = Stopwatch.GetTimestamp();
            }
        }

        public WorkerResult Result(bool cancelled)
        {
            var exitCode = _process.HasExited ? _process.ExitCode : (int?)null;
            if (cancelled && _done is null)
            {
                _error ??= string.Create(CultureInfo.InvariantCulture, $"worker {Number} (pid {_process.Id}) was killed on cancellation after {_returned} of {Indices.Length} tasks");
            }

            var result = new WorkerResult
            {
                Worker = Number,
                ProcessId = _process.Id,
                ExitCode = exitCode,
                TasksGiven = Indices.Length,
                TasksReturned = _returned,
                LifetimeMs = Stopwatch.GetElapsedTime(_started, _exited).TotalMilliseconds,
                StartupMs = _returned > 0 ? Stopwatch.GetElapsedTime(_started, _firstTask).TotalMilliseconds : 0,
                UserCpuMs = _done?.UserCpuMs ?? 0,
                SystemCpuMs = _done?.SystemCpuMs ?? 0,
                PeakRssBytes = _done?.PeakRssBytes ?? 0,
                Threads = _done?.Threads ?? 0,
                VoluntaryContextSwitches = _done?.VoluntaryContextSwitches ?? 0,
                InvoluntaryContextSwitches = _done?.InvoluntaryContextSwitches ?? 0,
                AllocatedBytes = _done?.AllocatedBytes ?? 0,
                Error = _error,
            };
            _process.Dispose();
            return result;
        }

        private async Task PumpStderrAsync()
        {
            var buffer = new char[1024];
            int read;
            while ((read = await _process.StandardError.ReadAsync(buffer.AsMemory()).ConfigureAwait(false)) > 0)
            {
                lock (_stderr)
                {
                    // Keep the beginning: an unhandled exception's message comes first, its stack after.
                    if (_stderr.Length < 4096)
                    {
                        _stderr.Append(buffer, 0, Math.Min(read, 4096 - _stderr.Length));
                    }
                }
            }
        }

        private string StderrTail()
        {
            lock (_stderr)
            {
                // The exception's message, not a fragment of its stack: the runtime's and the command
                // line's handlers both start with "Unhandled exception"; stack lines start with "at" or "---".
                var lines = _stderr.ToString().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
                var unhandled = lines.FirstOrDefault(l => l.StartsWith("Unhandled exception", StringComparison.OrdinalIgnoreCase));
                return unhandled ?? string.Join(" / ", lines.Where(l => !l.StartsWith("at ", StringComparison.Ordinal) && !l.StartsWith("---", StringComparison.Ordinal)).Take(3));
            }
        }
    }
}
