namespace Braid.Pipelines.Engine;

/// <summary>
/// A single-worker stage that holds items back and emits them in groups, by size or by time
/// (batch, group-by). Time limits are measured on the run's <see cref="TimeProvider"/>: the worker
/// waits for input or for the next deadline, whichever comes first.
/// </summary>
internal abstract class AccumulatorStage<TIn, TOut>
{
    private readonly Queue<TOut> _ready = new();
    private readonly RunContext _run;
    private readonly StageCounters _counters;
    private readonly Link<TIn> _input;
    private readonly Link<TOut> _output;

    protected AccumulatorStage(RunContext run, StageCounters counters, Link<TIn> input, Link<TOut> output)
    {
        _run = run;
        _counters = counters;
        _input = input;
        _output = output;
        counters.Stopped = () => output.Writer.TryComplete();
    }

    protected TimeProvider Time => _run.Time;

    public void Start() => _run.StartWorker(_counters, WorkerAsync, WorkerKind.Tasks);

    /// <summary>Takes one item, arrived at <paramref name="now"/> (a timestamp); emits what became ready.</summary>
    protected abstract void Accept(TIn item, long now);

    /// <summary>Emits everything whose deadline is at or before <paramref name="now"/>.</summary>
    protected abstract void EmitExpired(long now);

    /// <summary>The earliest pending deadline (a timestamp), or <see langword="null"/> when nothing is held.</summary>
    protected abstract long? NextDeadline { get; }

    /// <summary>Emits everything held, at the end of the input.</summary>
    protected abstract void EmitAll();

    protected void Emit(TOut output) => _ready.Enqueue(output);

    private async Task WorkerAsync()
    {
        var outbox = new Outbox<TOut>(_output, _counters);
        var reader = _input.Reader;
        var ct = _run.Token;
        Task<bool>? pendingRead = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            while (reader.TryRead(out var segment))
            {
                _input.Dequeued(segment.Count);
                _counters.AddIn(segment.Count);
                var now = Time.GetTimestamp();
                try
                {
                    for (var i = 0; i < segment.Count; i++)
                    {
                        Accept(segment.Items[i], now);
                        await DrainAsync(outbox, ct).ConfigureAwait(false);
                    }
                }
                finally
                {
                    segment.Return();
                }
            }

            EmitExpired(Time.GetTimestamp());
            await DrainAsync(outbox, ct).ConfigureAwait(false);
            await outbox.FlushAsync(ct).ConfigureAwait(false);

            var read = pendingRead ?? reader.WaitToReadAsync(ct).AsTask();
            pendingRead = null;
            var deadline = NextDeadline;
            if (deadline is null || read.IsCompleted)
            {
                if (!await read.ConfigureAwait(false))
                {
                    break;
                }

                continue;
            }

            var wait = Time.GetElapsedTime(Time.GetTimestamp(), deadline.Value);
            if (wait <= TimeSpan.Zero)
            {
                pendingRead = read;
                continue;
            }

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var delay = Task.Delay(wait, Time, timer.Token);
            if (await Task.WhenAny(read, delay).ConfigureAwait(false) == read)
            {
                await timer.CancelAsync().ConfigureAwait(false);
                if (!await read.ConfigureAwait(false))
                {
                    break;
                }
            }
            else
            {
                pendingRead = read;
            }
        }

        EmitAll();
        await DrainAsync(outbox, ct).ConfigureAwait(false);
        await outbox.FlushAsync(ct).ConfigureAwait(false);
    }

    private async ValueTask DrainAsync(Outbox<TOut> outbox, CancellationToken ct)
    {
        while (_ready.TryDequeue(out var output))
        {
            if (outbox.Add(output))
            {
                await outbox.FlushAsync(ct).ConfigureAwait(false);
            }
        }
    }
}
