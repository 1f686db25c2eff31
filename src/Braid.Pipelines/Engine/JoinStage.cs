using System.Runtime.CompilerServices;

namespace Braid.Pipelines.Engine;

/// <summary>A single-worker stage whose function consumes the whole input stream and produces a stream of outputs.</summary>
internal sealed class JoinStage<TIn, TOut>
{
    private readonly Func<IAsyncEnumerable<TIn>, IAsyncEnumerable<TOut>> _function;
    private readonly RunContext _run;
    private readonly StageCounters _counters;
    private readonly Link<TIn> _input;
    private readonly Link<TOut> _output;

    public JoinStage(Func<IAsyncEnumerable<TIn>, IAsyncEnumerable<TOut>> function, RunContext run, StageCounters counters, Link<TIn> input, Link<TOut> output)
    {
        _function = function;
        _run = run;
        _counters = counters;
        _input = input;
        _output = output;
        counters.Stopped = () => output.Writer.TryComplete();
    }

    public void Start() => _run.StartWorker(_counters, WorkerAsync, WorkerKind.Tasks);

    private async Task WorkerAsync()
    {
        var outbox = new Outbox<TOut>(_output, _counters);
        var ct = _run.Token;
        await foreach (var result in _function(ReadAllAsync(ct)).WithCancellation(ct).ConfigureAwait(false))
        {
            if (outbox.Add(result))
            {
                await outbox.FlushAsync(ct).ConfigureAwait(false);
            }
        }

        await outbox.FlushAsync(ct).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<TIn> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var reader = _input.Reader;
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (reader.TryRead(out var segment))
            {
                _input.Dequeued(segment.Count);
                _counters.AddIn(segment.Count);
                try
                {
                    for (var i = 0; i < segment.Count; i++)
                    {
                        yield return segment.Items[i];
                    }
                }
                finally
                {
                    segment.Return();
                }
            }
        }
    }
}
