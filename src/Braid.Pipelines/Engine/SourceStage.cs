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
        var outbox = new Outbox<T>(_output, _counters);
        var ct = _run.Token;
        foreach (var item in _items!)
        {
            ct.ThrowIfCancellationRequested();
            if (outbox.Add(item))
            {
                _counters.AddIn(outbox.Count);
                await outbox.FlushAsync(ct).ConfigureAwait(false);
            }
        }

        _counters.AddIn(outbox.Count);
        await outbox.FlushAsync(ct).ConfigureAwait(false);
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
                    await outbox.FlushAsync(ct).ConfigureAwait(false);
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
}
