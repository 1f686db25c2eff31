using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Braid.Pipelines.Engine;

/// <summary>
/// A per-item stage (map, async map, filter, flat-map) with its workers. Workers take whole
/// segments from the input, call the function once per item with no allocation on the fast path,
/// and send their output in segments.
/// </summary>
internal sealed class TransformStage<TIn, TOut>
{
    private readonly TransformKind _kind;
    private readonly Func<TIn, TOut>? _map;
    private readonly Func<TIn, CancellationToken, ValueTask<TOut>>? _mapAsync;
    private readonly Func<TIn, bool>? _filter;
    private readonly Func<TIn, IEnumerable<TOut>>? _flatMap;
    private readonly Func<TIn, CancellationToken, IAsyncEnumerable<TOut>>? _flatMapAsync;
    private readonly StageOptions _options;
    private readonly RunContext _run;
    private readonly StageCounters _counters;
    private readonly Link<TIn> _input;
    private readonly Link<TOut> _output;
    private readonly Sequencer<TOut>? _sequencer;
    private readonly Dispatcher<TIn>? _dispatcher;
    private readonly TokenBucket? _rate;
    private readonly RetryPolicy? _retry;
    private readonly bool _deadLetters;
    private readonly bool _capture;

    // Flat maps stream their output lazily unless an item may be retried or dead-lettered: then one
    // item's outputs are collected first, so an item's outputs are sent all or not at all.
    private readonly bool _materialize;

    public TransformStage(TransformKind kind, Delegate function, StageOptions options, RunContext run, StageCounters counters, Link<TIn> input, Link<TOut> output)
    {
        _kind = kind;
        _map = function as Func<TIn, TOut>;
        _mapAsync = function as Func<TIn, CancellationToken, ValueTask<TOut>>;
        _filter = function as Func<TIn, bool>;
        _flatMap = function as Func<TIn, IEnumerable<TOut>>;
        _flatMapAsync = function as Func<TIn, CancellationToken, IAsyncEnumerable<TOut>>;
        _options = options;
        _run = run;
        _counters = counters;
        _input = input;
        _output = output;
        _sequencer = options.Ordered && options.Workers > 1 ? new Sequencer<TOut>() : null;
        // Fusing (rule 66) is for synchronous functions on pool workers without rate limits or retries:
        // an async call that goes pending, a blocking function on a dedicated thread, a rate-limit or
        // retry wait would hold up the input behind a fused leader while the other workers are parked.
        var mayFuse = kind is TransformKind.Map or TransformKind.Filter or TransformKind.FlatMap
            && options.RateLimit is null && options.Retry is null && options.WorkerKind != WorkerKind.DedicatedThreads;
        _dispatcher = options.Workers > 1 ? new Dispatcher<TIn>(input, options.Workers, mayFuse) : null;
        _rate = options.RateLimit is { } limit ? new TokenBucket(limit, run.Time) : null;
        _retry = options.Retry;
        _deadLetters = (options.ErrorPolicy ?? run.Options.ErrorPolicy) == ErrorPolicy.ContinueWithDeadLetters;
        _capture = options.WorkerKind == WorkerKind.DedicatedThreads;
        _materialize = _retry is not null || _deadLetters;
        counters.Stopped = () => output.Writer.TryComplete();
    }

    public void Start()
    {
        for (var i = 0; i < _options.Workers; i++)
        {
            _run.StartWorker(_counters, WorkerAsync, _options.WorkerKind);
        }
    }

    private async Task WorkerAsync()
    {
        // A stage's only worker paces its output (Outbox): slow items are sent in smaller segments,
        // sooner. Several workers send each chunk's output when the chunk is done, and the dispatcher
        // keeps a chunk's work near the same target.
        var outbox = new Outbox<TOut>(_output, _counters, paced: _dispatcher is null);
        var ct = _run.Token;
        var time = _run.Time;

        // Chunks and pacing are measured in real time; on the system clock that is the busy time's clock too.
        var realTime = ReferenceEquals(time, TimeProvider.System);
        if (_dispatcher is not null)
        {
            // Several workers: chunks come from the dispatcher; each chunk's output is sent when the
            // chunk is done. When the stage is ordered, a chunk finished out of turn is deposited with the
            // sequencer (the turn holder writes it) unless this worker's previous deposit is still
            // unwritten: then the worker waits for its turn, which bounds the reorder window.
            // The dispatcher measures each chunk's work in real time to decide whether a batch is worth
            // waking another worker for (fusing, rule 66); on the system clock that is the busy time's clock too.
            var finishedOne = false;
            var keepsLead = false;
            var deposited = -1L;
            while (true)
            {
                if (!keepsLead || !_dispatcher.TryContinue(out var chunk))
                {
                    chunk = await _dispatcher.TakeAsync(finishedOne, keepsLead, ct).ConfigureAwait(_capture);
                }

                if (!chunk.Ok)
                {
                    break;
                }

                finishedOne = true;
                keepsLead = chunk.KeepsLead;
                var number = _sequencer is null ? UnorderedChunk : chunk.Number;
                var items = chunk.Segment.Count;
                var ticks = Stopwatch.GetTimestamp();
                var start = realTime ? ticks : time.GetTimestamp();
                var holdsTurn = await ProcessAsync(chunk.Segment, outbox, number, ct).ConfigureAwait(_capture);
                var ticksEnd = Stopwatch.GetTimestamp();
                _dispatcher.Report(ticksEnd - ticks, items);
                _counters.AddBusy((realTime ? ticksEnd : time.GetTimestamp()) - start);
                if (_sequencer is null)
                {
                    await outbox.FlushAsync(ct).ConfigureAwait(_capture);
                    continue;
                }

                if (holdsTurn)
                {
                    await outbox.FlushAsync(ct).ConfigureAwait(_capture);
                }
                else if (_sequencer.Turn > deposited)
                {
                    var output = outbox.Take();
                    if (_sequencer.TryDeposit(number, output))
                    {
                        deposited = number;
                        continue;
                    }

                    // Refused: it is this chunk's turn already.
                    await outbox.SendAsync(output, ct).ConfigureAwait(_capture);
                }
                else
                {
                    // The previous deposit is still unwritten: the window is full.
                    await _sequencer.WaitTurnAsync(number, ct).ConfigureAwait(_capture);
                    await outbox.FlushAsync(ct).ConfigureAwait(_capture);
                }

                while (_sequencer.EndTurn(number, out var next))
                {
                    number++;
                    await outbox.SendAsync(next, ct).ConfigureAwait(_capture);
                }
            }

            return;
        }

        // One worker: output is coalesced across input batches and sent when full (at the paced limit)
        // or when the input runs dry; order is kept by construction.
        var reader = _input.Reader;
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(_capture))
        {
            while (reader.TryRead(out var segment))
            {
                _input.Dequeued(segment.Count);
                var ticks = Stopwatch.GetTimestamp();
                var start = realTime ? ticks : time.GetTimestamp();
                await ProcessAsync(segment, outbox, OneWorker, ct).ConfigureAwait(_capture);
                var ticksEnd = Stopwatch.GetTimestamp();
                outbox.Pace(ticksEnd - ticks);
                _counters.AddBusy((realTime ? ticksEnd : time.GetTimestamp()) - start);
            }

            await outbox.FlushAsync(ct).ConfigureAwait(_capture);
        }

        await outbox.FlushAsync(ct).ConfigureAwait(_capture);
    }

    /// <summary>
    /// Runs the function over one segment. In ordered mode (<paramref name="number"/> ≥ 0) a full
    /// outbox is sent only on the segment's turn; answers whether the worker now holds the turn.
    /// <paramref name="number"/> is <see cref="OneWorker"/> for a stage's only worker and
    /// <see cref="UnorderedChunk"/> for a chunk of an unordered stage with several workers.
    /// </summary>
    private async ValueTask<bool> ProcessAsync(Segment<TIn> segment, Outbox<TOut> outbox, long number, CancellationToken ct)
    {
        var holdsTurn = false;
        var items = segment.Items;
        var count = segment.Count;
        _counters.AddIn(count);
        try
        {
            if (_kind is TransformKind.Map or TransformKind.Filter && _rate is null)
            {
                // The common cases, a synchronous map or filter without a rate limit, run in a plain
                // loop (MapRun, FilterRun) whose locals stay in registers; this method only sends full
                // outboxes and recovers failed items.
                var next = 0;
                while (true)
                {
                    var stop = _kind == TransformKind.Map
                        ? MapRun(items, ref next, count, outbox, ct, out var failure)
                        : FilterRun(items, ref next, count, outbox, ct, out failure);
                    if (stop == MapStop.SegmentDone)
                    {
                        break;
                    }

                    if (stop == MapStop.Failed)
                    {
                        var item = items[next];
                        var outcome = await RecoverAsync(item, failure!, ct).ConfigureAwait(_capture);
                        next++;
                        var full = _kind == TransformKind.Map
                            ? outcome.Ok && outbox.Add(outcome.Value!)
                            : outcome.Ok && outcome.Keep && outbox.Add(Unsafe.As<TIn, TOut>(ref item));
                        if (!full)
                        {
                            continue;
                        }
                    }

                    if (SendsNow(number, holdsTurn, next - 1, count))
                    {
                        holdsTurn = await SendAsync(outbox, number, holdsTurn, ct).ConfigureAwait(_capture);
                    }
                }

                return holdsTurn;
            }

            for (var i = 0; i < count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var item = items[i];
                if (_rate is not null)
                {
                    await _rate.WaitAsync(ct).ConfigureAwait(_capture);
                }

                switch (_kind)
                {
                    case TransformKind.Map:
                        {
                            TOut result;
                            try
                            {
                                result = _map!(item);
                            }
                            catch (Exception ex) when (!_run.IsStopping(ex))
                            {
                                var outcome = await RecoverAsync(item, ex, ct).ConfigureAwait(_capture);
                                if (!outcome.Ok)
                                {
                                    continue;
                                }

                                result = outcome.Value!;
                            }

                            if (outbox.Add(result) && SendsNow(number, holdsTurn, i, count))
                            {
                                holdsTurn = await SendAsync(outbox, number, holdsTurn, ct).ConfigureAwait(_capture);
                            }

                            break;
                        }

                    case TransformKind.MapAsync:
                        {
                            TOut result;
                            try
                            {
                                var pending = _mapAsync!(item, ct);
                                if (pending.IsCompletedSuccessfully)
                                {
                                    result = pending.Result;
                                }
                                else
                                {
                                    // About to wait: send what is ready first, unless order forbids it.
                                    if (number < 0 && outbox.Count > 0)
                                    {
                                        try
                                        {
                                            await outbox.FlushAsync(ct).ConfigureAwait(_capture);
                                        }
                                        catch (Exception flushFailure)
                                        {
                                            // The call is in flight: never abandon it (rule 60).
                                            var stopping = OnSendFailedWithCallInFlight(flushFailure);
                                            await EndCallAsync(pending).ConfigureAwait(_capture);
                                            if (stopping)
                                            {
                                                throw;
                                            }

                                            // Both failures are recorded, and recording one stopped the run.
                                            ct.ThrowIfCancellationRequested();
                                            throw;
                                        }
                                    }

                                    result = await pending.ConfigureAwait(_capture);
                                }
                            }
                            catch (Exception ex) when (!_run.IsStopping(ex))
                            {
                                var outcome = await RecoverAsync(item, ex, ct).ConfigureAwait(_capture);
                                if (!outcome.Ok)
                                {
                                    continue;
                                }

                                result = outcome.Value!;
                            }

                            if (outbox.Add(result) && SendsNow(number, holdsTurn, i, count))
                            {
                                holdsTurn = await SendAsync(outbox, number, holdsTurn, ct).ConfigureAwait(_capture);
                            }

                            break;
                        }

                    case TransformKind.Filter:
                        {
                            bool keep;
                            try
                            {
                                keep = _filter!(item);
                            }
                            catch (Exception ex) when (!_run.IsStopping(ex))
                            {
                                var outcome = await RecoverAsync(item, ex, ct).ConfigureAwait(_capture);
                                keep = outcome.Ok && outcome.Keep;
                            }

                            if (keep && outbox.Add(Unsafe.As<TIn, TOut>(ref item)) && SendsNow(number, holdsTurn, i, count))
                            {
                                holdsTurn = await SendAsync(outbox, number, holdsTurn, ct).ConfigureAwait(_capture);
                            }

                            break;
                        }

                    // Streamed: the function's call, its sequence's enumeration and its disposal are the
                    // item's work, and a failure in any of them, at the call or part-way, is the item's
                    // failure (RecoverAsync: no retry and no dead letters here, so counted and thrown).
                    // A send that fails is not the item's failure.
                    case TransformKind.FlatMap when !_materialize:
                        {
                            var sending = false;
                            try
                            {
                                foreach (var result in _flatMap!(item))
                                {
                                    if (outbox.Add(result))
                                    {
                                        sending = true;
                                        holdsTurn = await SendAsync(outbox, number, holdsTurn, ct).ConfigureAwait(_capture);
                                        sending = false;
                                    }
                                }
                            }
                            catch (Exception ex) when (!sending && !_run.IsStopping(ex))
                            {
                                await RecoverAsync(item, ex, ct).ConfigureAwait(_capture);
                            }

                            break;
                        }

                    case TransformKind.FlatMapAsync when !_materialize:
                        {
                            var sending = false;
                            try
                            {
                                await foreach (var result in _flatMapAsync!(item, ct).WithCancellation(ct).ConfigureAwait(_capture))
                                {
                                    if (outbox.Add(result))
                                    {
                                        sending = true;
                                        holdsTurn = await SendAsync(outbox, number, holdsTurn, ct).ConfigureAwait(_capture);
                                        sending = false;
                                    }
                                }
                            }
                            catch (Exception ex) when (!sending && !_run.IsStopping(ex))
                            {
                                await RecoverAsync(item, ex, ct).ConfigureAwait(_capture);
                            }

                            break;
                        }

                    default:
                        {
                            Outcome outcome;
                            try
                            {
                                outcome = await AttemptAsync(item, ct).ConfigureAwait(_capture);
                            }
                            catch (Exception ex) when (!_run.IsStopping(ex))
                            {
                                outcome = await RecoverAsync(item, ex, ct).ConfigureAwait(_capture);
                            }

                            if (outcome is { Ok: true, Many: { } many })
                            {
                                foreach (var result in many)
                                {
                                    if (outbox.Add(result))
                                    {
                                        holdsTurn = await SendAsync(outbox, number, holdsTurn, ct).ConfigureAwait(_capture);
                                    }
                                }
                            }

                            break;
                        }
                }
            }
        }
        finally
        {
            segment.Return();
        }

        return holdsTurn;
    }

    /// <summary>
    /// A send failed while the function's call for the next item is in flight (the worker sends what it
    /// holds before it waits). The call is then awaited (<see cref="EndCallAsync"/>) before the worker
    /// leaves, so the run ends only after it (rule 60). A send failure that is not the run stopping is
    /// recorded first, so it stays before the call's own; recording it stops the run. Answers whether
    /// the send failure is the run stopping.
    /// </summary>
    private bool OnSendFailedWithCallInFlight(Exception sendFailure)
    {
        var stopping = _run.IsStopping(sendFailure);
        if (!stopping)
        {
            _run.Fail(_counters.Name, sendFailure);
        }

        return stopping;
    }

    /// <summary>
    /// Waits for a call whose result can no longer be sent and records its failure unless it is the run
    /// stopping. The call has the run's token, cancelled by now, so a cooperative function ends at once;
    /// one that ignores the token holds the worker, as it would have held it had the stop come a moment
    /// later. Abandoning it instead left the function running after the run returned, its failure unseen.
    /// </summary>
    private async ValueTask EndCallAsync(ValueTask<TOut> call)
    {
        try
        {
            await call.ConfigureAwait(_capture);
        }
        catch (Exception callFailure) when (!_run.IsStopping(callFailure))
        {
            // Its result could not be sent anyway: neither retried nor dead-lettered.
            _counters.AddFailed();
            _run.Fail(_counters.Name, callFailure);
        }
    }

    /// <summary>
    /// Maps items from <paramref name="next"/> on into the outbox until the segment is done, the outbox
    /// is full (<paramref name="next"/> is then past the item that filled it) or the function throws
    /// (<paramref name="next"/> is then the failed item). Never waits.
    /// </summary>
    /// <remarks>Compiled fully optimized from its first call (design rule 106): it is the per-item loop.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private MapStop MapRun(TIn[] items, ref int next, int count, Outbox<TOut> outbox, CancellationToken ct, out Exception? failure)
    {
        var map = _map!;
        failure = null;
        for (var i = next; i < count; i++)
        {
            ct.ThrowIfCancellationRequested();
            TOut result;
            try
            {
                result = map(items[i]);
            }
            catch (Exception ex) when (!_run.IsStopping(ex))
            {
                next = i;
                failure = ex;
                return MapStop.Failed;
            }

            if (outbox.Add(result))
            {
                next = i + 1;
                return MapStop.OutboxFull;
            }
        }

        next = count;
        return MapStop.SegmentDone;
    }

    /// <summary>
    /// <see cref="MapRun"/> for a filter: keeps items from <paramref name="next"/> on in the outbox until
    /// the segment is done, the outbox is full or the function throws (<paramref name="next"/> is then the
    /// failed item). Never waits.
    /// </summary>
    /// <remarks>Compiled fully optimized from its first call (design rule 106): it is the per-item loop.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private MapStop FilterRun(TIn[] items, ref int next, int count, Outbox<TOut> outbox, CancellationToken ct, out Exception? failure)
    {
        var filter = _filter!;
        failure = null;
        for (var i = next; i < count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var item = items[i];
            bool keep;
            try
            {
                keep = filter(item);
            }
            catch (Exception ex) when (!_run.IsStopping(ex))
            {
                next = i;
                failure = ex;
                return MapStop.Failed;
            }

            if (keep && outbox.Add(Unsafe.As<TIn, TOut>(ref item)))
            {
                next = i + 1;
                return MapStop.OutboxFull;
            }
        }

        next = count;
        return MapStop.SegmentDone;
    }

    /// <summary>
    /// Whether a full outbox is sent at once. In an ordered stage (<paramref name="number"/> ≥ 0) a
    /// worker that does not hold the turn keeps the output of its chunk's last item, which fills the
    /// outbox at most (a map or a filter gives at most one result per item): the chunk is then done, and
    /// its output goes to the sequencer instead of waiting for the turn here. A chunk of an unordered
    /// stage keeps it too: the worker sends it after the chunk, so a wait for room downstream is not
    /// measured as the chunk's work (which decides fusing, rule 66).
    /// </summary>
    private static bool SendsNow(long number, bool holdsTurn, int index, int count) => number == OneWorker || holdsTurn || index < count - 1;

    private async ValueTask<bool> SendAsync(Outbox<TOut> outbox, long number, bool holdsTurn, CancellationToken ct)
    {
        if (number >= 0 && !holdsTurn)
        {
            await _sequencer!.WaitTurnAsync(number, ct).ConfigureAwait(_capture);
            holdsTurn = true;
        }

        await outbox.FlushAsync(ct).ConfigureAwait(_capture);
        return holdsTurn;
    }

    /// <summary>One call of the function for one item, its outputs collected.</summary>
    private async ValueTask<Outcome> AttemptAsync(TIn item, CancellationToken ct)
    {
        switch (_kind)
        {
            case TransformKind.Map:
                return new Outcome(true, _map!(item), false, null);
            case TransformKind.MapAsync:
                return new Outcome(true, await _mapAsync!(item, ct).ConfigureAwait(_capture), false, null);
            case TransformKind.Filter:
                return new Outcome(true, default, _filter!(item), null);
            case TransformKind.FlatMap:
                return new Outcome(true, default, false, [.. _flatMap!(item)]);
            default:
                {
                    var many = new List<TOut>();
                    await foreach (var result in _flatMapAsync!(item, ct).WithCancellation(ct).ConfigureAwait(_capture))
                    {
                        many.Add(result);
                    }

                    return new Outcome(true, default, false, many);
                }
        }
    }

    /// <summary>
    /// The slow path after a first failure: retries with backoff, then dead letter or rethrow. The one
    /// place where an item's failure is counted. A streamed flat map (neither retries nor dead
    /// letters) always rethrows.
    /// </summary>
    private async ValueTask<Outcome> RecoverAsync(TIn item, Exception failure, CancellationToken ct)
    {
        var attempts = 1;
        while (_retry is not null && attempts < _retry.MaxAttempts && (_retry.ShouldRetry?.Invoke(failure) ?? true))
        {
            attempts++;
            _counters.AddRetry();
            await Task.Delay(_retry.DelayBefore(attempts), _run.Time, ct).ConfigureAwait(_capture);
            try
            {
                return await AttemptAsync(item, ct).ConfigureAwait(_capture);
            }
            catch (Exception ex) when (!_run.IsStopping(ex))
            {
                failure = ex;
            }
        }

        _counters.AddFailed();
        if (_deadLetters)
        {
            _run.AddDeadLetter(new DeadLetter(_counters.Name, item, failure, attempts));
            return default;
        }

        ExceptionDispatchInfo.Throw(failure);
        return default;
    }

    /// <summary>The <c>number</c> of <see cref="ProcessAsync"/> for a stage's only worker, whose output is coalesced across segments.</summary>
    private const long OneWorker = -1;

    /// <summary>The <c>number</c> of <see cref="ProcessAsync"/> for a chunk of an unordered stage with several workers.</summary>
    private const long UnorderedChunk = -2;

    private enum MapStop
    {
        SegmentDone,
        OutboxFull,
        Failed,
    }

    private readonly record struct Outcome(bool Ok, TOut? Value, bool Keep, List<TOut>? Many);
}
