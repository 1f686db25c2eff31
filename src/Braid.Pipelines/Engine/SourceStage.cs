using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Braid.Pipelines.Engine;

/// <summary>The first stage: enumerates the source and sends its items in segments.</summary>
internal sealed class SourceStage<T>
{
    private readonly IEnumerable<T>? _items;
    private readonly Func<CancellationToken, IAsyncEnumerable<T>>? _asyncItems;
    private readonly RunContext _run;
    private readonly StageCounters _counters;
    private readonly Link<T> _output;

    public SourceStage(IEnumerable<T>? items, Func<CancellationToken, IAsyncEnumerable<T>>? asyncItems, RunContext run, StageCounters counters, Link<T> output)
    {
        _items = items;
        _asyncItems = asyncItems;
        _run = run;
        _counters = counters;
        _output = output;
        counters.Stopped = () => output.Writer.TryComplete();
    }

    public void Start() => _run.StartWorker(_counters, _items is null ? RunAsyncSourceAsync : RunSyncSourceAsync, WorkerKind.Tasks);

    private async Task RunSyncSourceAsync()
    {
        // Paced: a source that is slow to enumerate sends smaller segments sooner (Outbox).
        var outbox = new Outbox<T>(_output, _counters, paced: true);
        var ct = _run.Token;
        using var enumerator = _items!.GetEnumerator();
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var full = Fill(enumerator, outbox, ct);
            outbox.Pace(Stopwatch.GetTimestamp() - started);
            if (!full)
            {
                break;
            }

            _counters.AddIn(outbox.Count);
            await outbox.FlushAsync(ct).ConfigureAwait(false);
        }

        _counters.AddIn(outbox.Count);
        await outbox.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds items from <paramref name="enumerator"/> to the outbox until it is full (answers
    /// <see langword="true"/>) or the source ends (<see langword="false"/>). Never waits.
    /// </summary>
    /// <remarks>Compiled fully optimized from its first call (design rule 106): it is the per-item loop.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Fill(IEnumerator<T> enumerator, Outbox<T> outbox, CancellationToken ct)
    {
        while (enumerator.MoveNext())
        {
            ct.ThrowIfCancellationRequested();
            if (outbox.Add(enumerator.Current))
            {
                return true;
            }
        }

        return false;
    }

    private async Task RunAsyncSourceAsync()
    {
        var outbox = new Outbox<T>(_output, _counters);
        var ct = _run.Token;
        var enumerator = _asyncItems!(ct).GetAsyncEnumerator(ct);
        await using (enumerator.ConfigureAwait(false))
        {
            while (true)
            {
                var next = enumerator.MoveNextAsync();
                if (!next.IsCompleted && outbox.Count > 0)
                {
                    // The source is about to wait: send what it has produced so far.
                    _counters.AddIn(outbox.Count);
                    try
                    {
                        await outbox.FlushAsync(ct).ConfigureAwait(false);
                    }
                    catch (Exception flushFailure)
                    {
                        // The read is still in flight, and an async iterator disposed during a read
                        // throws NotSupportedException, which would replace this failure: let the
                        // read end first. A failure that is not the run stopping is recorded now, so
                        // it stays before the read's own, and recording it stops the run.
                        var stopping = _run.IsStopping(flushFailure);
                        if (!stopping)
                        {
                            _run.Fail(_counters.Name, flushFailure);
                        }

                        await EndReadAsync(next).ConfigureAwait(false);
                        if (stopping)
                        {
                            throw;
                        }

                        // Both failures are recorded; the enumerator is disposed on the way out.
                        return;
                    }
                }

                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                if (outbox.Add(enumerator.Current))
                {
                    _counters.AddIn(outbox.Count);
                    await outbox.FlushAsync(ct).ConfigureAwait(false);
                }
            }
        }

        _counters.AddIn(outbox.Count);
        await outbox.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for a read that was in flight when the run stopped, so that the enumerator can be
    /// disposed; records its failure unless it is the run stopping. An item it reads is not sent.
    /// </summary>
    /// <remarks>
    /// The read has the run's token, which is cancelled by now, so a cooperative source ends at once.
    /// A source that ignores the token keeps this worker, and so the run, until its read returns: the
    /// same wait as for a function that ignores the token (a run returns only after every worker has
    /// stopped, rule 60) and as when the stop finds the source waiting with nothing to send. The run
    /// has no bounded way out of that wait, and abandoning the read instead would leave the source's
    /// code running after the run returned, with its outcome unobserved.
    /// </remarks>
    private async Task EndReadAsync(ValueTask<bool> read)
    {
        try
        {
            await read.ConfigureAwait(false);
        }
        catch (Exception readFailure)
        {
            if (!_run.IsStopping(readFailure))
            {
                _run.Fail(_counters.Name, readFailure);
            }
        }
    }
}
