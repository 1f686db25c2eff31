using System.ComponentModel;
using System.Runtime.CompilerServices;
using Braid.Pipelines.Engine;

namespace Braid.Pipelines;

// VSTHRD200 takes every method returning an IAsyncEnumerable for an async method. Stage methods
// return builders (which can be enumerated) and never wait, so they keep their plain names.
#pragma warning disable VSTHRD200

/// <summary>
/// An immutable description of a pipeline whose items are of type <typeparamref name="T"/>: add a
/// stage and get a new builder; enumerate it, <see cref="Start"/> it or <see cref="RunAsync(CancellationToken)"/>
/// it to run it. Each run is independent: a builder can be run many times.
/// </summary>
/// <typeparam name="T">The type of the items at the end of the pipeline so far.</typeparam>
/// <remarks>
/// Stages run concurrently, connected by bounded buffers (<see cref="StageOptions.Capacity"/>): a
/// slow stage slows the stages before it instead of letting memory grow. Items move between stages
/// in batches (<see cref="PipelineOptions.TransferBatchSize"/>), but every function sees one item at
/// a time. Building never runs anything and never waits; invalid options throw at once.
/// </remarks>
public sealed class PipelineBuilder<T> : IAsyncEnumerable<T>
{
    private readonly Func<RunContext, LinkSpec, Link<T>> _build;
    private readonly int _stages;

    internal PipelineBuilder(PipelineOptions options, Func<RunContext, LinkSpec, Link<T>> build, int stages)
    {
        Options = options;
        _build = build;
        _stages = stages;
    }

    /// <summary>The pipeline's options.</summary>
    public PipelineOptions Options { get; }

    /// <summary>Adds a stage that applies a synchronous function to each item.</summary>
    /// <param name="function">Called once per item (again on retry); must be thread-safe when the stage has several workers.</param>
    /// <param name="options">The stage's options (default: one worker, ordered, 1024-item buffer).</param>
    /// <typeparam name="TOut">The type of the results.</typeparam>
    public PipelineBuilder<TOut> Map<TOut>(Func<T, TOut> function, StageOptions? options = null) =>
        Transform<TOut>(TransformKind.Map, "map", function, options);

    /// <summary>
    /// Adds a stage that applies an asynchronous function to each item. A function whose
    /// <see cref="ValueTask{TResult}"/> completes synchronously costs no allocation.
    /// </summary>
    /// <param name="function">Called once per item with the run's token, cancelled when the run stops.</param>
    /// <param name="options">The stage's options.</param>
    /// <typeparam name="TOut">The type of the results.</typeparam>
    public PipelineBuilder<TOut> Map<TOut>(Func<T, CancellationToken, ValueTask<TOut>> function, StageOptions? options = null) =>
        Transform<TOut>(TransformKind.MapAsync, "map", function, options);

    /// <summary>Adds a stage that keeps the items for which <paramref name="predicate"/> is true.</summary>
    /// <param name="predicate">Called once per item.</param>
    /// <param name="options">The stage's options.</param>
    public PipelineBuilder<T> Filter(Func<T, bool> predicate, StageOptions? options = null) =>
        Transform<T>(TransformKind.Filter, "filter", predicate, options);

    /// <summary>
    /// Adds a stage that turns each item into any number of items (branching). The outputs are
    /// streamed and respect the output buffer's bound, however many one item produces.
    /// </summary>
    /// <param name="function">Called once per item; its sequence is enumerated on the worker.</param>
    /// <param name="options">The stage's options. With a retry policy or dead letters, one item's outputs are collected before any is sent, so they are sent all or not at all.</param>
    /// <typeparam name="TOut">The type of the results.</typeparam>
    public PipelineBuilder<TOut> FlatMap<TOut>(Func<T, IEnumerable<TOut>> function, StageOptions? options = null) =>
        Transform<TOut>(TransformKind.FlatMap, "flat-map", function, options);

    /// <summary>Adds a stage that turns each item into an asynchronous stream of items.</summary>
    /// <param name="function">Called once per item with the run's token.</param>
    /// <param name="options">The stage's options (see <see cref="FlatMap{TOut}(Func{T, IEnumerable{TOut}}, StageOptions?)"/>).</param>
    /// <typeparam name="TOut">The type of the results.</typeparam>
    public PipelineBuilder<TOut> FlatMap<TOut>(Func<T, CancellationToken, IAsyncEnumerable<TOut>> function, StageOptions? options = null) =>
        Transform<TOut>(TransformKind.FlatMapAsync, "flat-map", function, options);

    /// <summary>
    /// Adds a stage that emits arrays of <paramref name="size"/> items, in order; a batch that has
    /// waited <paramref name="maxDelay"/> since its first item (on the pipeline's clock) is emitted
    /// early, and the last one may be short.
    /// </summary>
    /// <param name="size">Items per batch, at least 1.</param>
    /// <param name="maxDelay">How long a partial batch may wait, or <see langword="null"/> to wait for a full batch or the end.</param>
    /// <param name="options">The stage's <see cref="StageOptions.Name"/> and <see cref="StageOptions.Capacity"/>; the stage has one worker, so other workers, dedicated threads, a rate limit, retries or an error policy are refused.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> asks for something a one-worker stage cannot do.</exception>
    public PipelineBuilder<T[]> Batch(int size, TimeSpan? maxDelay = null, StageOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ValidateDelay(maxDelay, nameof(maxDelay));
        return Accumulate<T[]>("batch", options, (run, counters, input, output) =>
            new BatchStage<T>(size, maxDelay, run, counters, input, output).Start());
    }

    /// <summary>Adds a batch stage with an input buffer of <paramref name="capacity"/> items (the first form of <see cref="Batch(int, TimeSpan?, StageOptions?)"/>).</summary>
    /// <param name="size">Items per batch, at least 1.</param>
    /// <param name="maxDelay">How long a partial batch may wait, or <see langword="null"/>.</param>
    /// <param name="capacity">The stage's input buffer, in items; the same as <see cref="StageOptions.Capacity"/>.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public PipelineBuilder<T[]> Batch(int size, TimeSpan? maxDelay, int capacity) =>
        Batch(size, maxDelay, new StageOptions { Capacity = capacity });

    /// <summary>
    /// Adds a stage that groups items by key with bounded memory. A group is emitted when it holds
    /// <paramref name="maxGroupSize"/> items, when it has been open for <paramref name="maxAge"/>, or
    /// when opening a new group would exceed <paramref name="maxOpenGroups"/> (the oldest is emitted
    /// first); the rest at the end, oldest first. At most <c>maxOpenGroups × maxGroupSize</c> items are held.
    /// </summary>
    /// <param name="keySelector">Returns an item's key.</param>
    /// <param name="maxGroupSize">The most items in one group, at least 1.</param>
    /// <param name="maxAge">How long a group may stay open, or <see langword="null"/>.</param>
    /// <param name="maxOpenGroups">The most groups held at once, at least 1.</param>
    /// <param name="comparer">Compares keys (default: the key type's equality).</param>
    /// <param name="options">The stage's <see cref="StageOptions.Name"/> and <see cref="StageOptions.Capacity"/>; the stage has one worker, so other workers, dedicated threads, a rate limit, retries or an error policy are refused.</param>
    /// <typeparam name="TKey">The key's type.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="options"/> asks for something a one-worker stage cannot do.</exception>
    public PipelineBuilder<Group<TKey, T>> GroupBy<TKey>(Func<T, TKey> keySelector, int maxGroupSize = 1024, TimeSpan? maxAge = null, int maxOpenGroups = 1024, IEqualityComparer<TKey>? comparer = null, StageOptions? options = null)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(keySelector);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroupSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOpenGroups, 1);
        ValidateDelay(maxAge, nameof(maxAge));
        return Accumulate<Group<TKey, T>>("group-by", options, (run, counters, input, output) =>
            new GroupByStage<TKey, T>(keySelector, maxGroupSize, maxAge, maxOpenGroups, comparer, run, counters, input, output).Start());
    }

    /// <summary>
    /// Adds a stage whose function consumes the whole stream and produces a stream of results
    /// (pyper's <c>join</c>): for aggregations, sorting, windows. One worker.
    /// </summary>
    /// <param name="function">Receives the stream of all items (its enumeration is cancelled when the run stops).</param>
    /// <param name="options">The stage's <see cref="StageOptions.Name"/> and <see cref="StageOptions.Capacity"/>; the stage has one worker, so other workers, dedicated threads, a rate limit, retries or an error policy are refused.</param>
    /// <typeparam name="TOut">The type of the results.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="options"/> asks for something a one-worker stage cannot do.</exception>
    public PipelineBuilder<TOut> Join<TOut>(Func<IAsyncEnumerable<T>, IAsyncEnumerable<TOut>> function, StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Accumulate<TOut>("join", options, (run, counters, input, output) =>
            new JoinStage<T, TOut>(function, run, counters, input, output).Start());
    }

    /// <summary>Adds a stage whose function consumes the whole stream and returns one result (an aggregate).</summary>
    /// <param name="aggregate">Receives the stream of all items and the run's token.</param>
    /// <param name="options">The stage's options, as for <see cref="Join{TOut}(Func{IAsyncEnumerable{T}, IAsyncEnumerable{TOut}}, StageOptions?)"/>.</param>
    /// <typeparam name="TOut">The type of the result.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="options"/> asks for something a one-worker stage cannot do.</exception>
    public PipelineBuilder<TOut> Join<TOut>(Func<IAsyncEnumerable<T>, CancellationToken, ValueTask<TOut>> aggregate, StageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        return Join(items => One(aggregate, items, default), options);
    }

    /// <summary>
    /// Starts a run: every stage starts at once. Enumerate the returned run for the results and
    /// dispose it (<c>await using</c>) to stop it; never waits.
    /// </summary>
    /// <param name="cancellationToken">Stops the whole run when cancelled.</param>
    public PipelineRun<T> Start(CancellationToken cancellationToken = default)
    {
        var run = new RunContext(Options, cancellationToken);
        Link<T>? output = null;
        run.Run(() => output = _build(run, LinkSpec.For(Options.OutputCapacity, Options.TransferBatchSize, singleReader: true)));
        run.StartProgress();
        return new PipelineRun<T>(run, output!);
    }

    /// <summary>Runs the pipeline and enumerates its results; breaking out stops every stage and waits for them.</summary>
    /// <param name="cancellationToken">Stops the whole run when cancelled.</param>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        Start(cancellationToken).GetAsyncEnumerator(cancellationToken);

    /// <summary>Runs the pipeline to completion, discarding the results; returns the final statistics.</summary>
    /// <param name="cancellationToken">Stops the whole run when cancelled; the task then throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="PipelineException">A stage failed; holds every failure.</exception>
    public Task<PipelineStatistics> RunAsync(CancellationToken cancellationToken = default) =>
        RunAsync(static (_, _) => default, cancellationToken);

    /// <summary>Runs the pipeline to completion, passing each result to <paramref name="sink"/> in order.</summary>
    /// <param name="sink">Called once per result, one at a time; a failure is a failure of the stage <c>sink</c>.</param>
    /// <param name="cancellationToken">Stops the whole run when cancelled.</param>
    /// <exception cref="PipelineException">A stage or the sink failed; holds every failure.</exception>
    public Task<PipelineStatistics> RunAsync(Action<T> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return ConsumeAsync(
            sink,
            (item, _) =>
            {
                sink(item);
                return default;
            },
            cancellationToken);
    }

    /// <summary>Runs the pipeline to completion, passing each result to an asynchronous <paramref name="sink"/> in order.</summary>
    /// <param name="sink">Called once per result with the run's token, one at a time.</param>
    /// <param name="cancellationToken">Stops the whole run when cancelled.</param>
    /// <exception cref="PipelineException">A stage or the sink failed; holds every failure.</exception>
    public Task<PipelineStatistics> RunAsync(Func<T, CancellationToken, ValueTask> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return ConsumeAsync(null, sink, cancellationToken);
    }

    // A synchronous sink (syncSink, the same function as sink) is given the rest of each transferred
    // batch in one synchronous loop compiled fully optimized (design rule 106), not item by item through
    // this method's state machine, which runs at tier 0 for the first second of a process.
    private async Task<PipelineStatistics> ConsumeAsync(Action<T>? syncSink, Func<T, CancellationToken, ValueTask> sink, CancellationToken cancellationToken)
    {
        var run = Start(cancellationToken);
        try
        {
            var context = run.Context;
            var deadLetters = Options.ErrorPolicy == ErrorPolicy.ContinueWithDeadLetters;
            // The sink is the caller's code and runs in the caller's context (design rule 104), like the
            // run's own bookkeeping on an AsyncLoop.
            var items = run.OpenEnumerator();
            await using (items.ConfigureAwait(LoopContext.IsCurrent))
            {
                while (await items.MoveNextAsync().ConfigureAwait(LoopContext.IsCurrent))
                {
                    var item = items.Current;
                    try
                    {
                        await sink(item, context.Token).ConfigureAwait(LoopContext.IsCurrent);
                    }
                    catch (Exception ex) when (!context.IsStopping(ex))
                    {
                        PipelineRun<T>.SinkFailed(context, deadLetters, item, ex);
                    }

                    if (syncSink is not null)
                    {
                        items.SinkRest(syncSink, deadLetters);
                    }
                }
            }
        }
        finally
        {
            await run.DisposeAsync().ConfigureAwait(LoopContext.IsCurrent);
        }

        return run.GetStatistics();
    }

    internal PipelineBuilder<TOut> Transform<TOut>(TransformKind kind, string kindName, Delegate function, StageOptions? options)
    {
        ArgumentNullException.ThrowIfNull(function);
        options ??= new StageOptions();
        options.Validate();
        var index = _stages;
        var name = options.Name ?? $"{kindName}#{index}";
        return Then<TOut>(options.Capacity, options.Workers, (run, input, output) =>
        {
            var counters = run.AddStage(name, options.Workers, input);
            new TransformStage<T, TOut>(kind, function, options, run, counters, input, output).Start();
        });
    }

    // Batch, group-by and join: one worker that sees the whole stream in order. Their options are
    // validated like a transform's, and refused where they ask for what one worker cannot do (rule 73).
    private PipelineBuilder<TOut> Accumulate<TOut>(string kindName, StageOptions? options, Action<RunContext, StageCounters, Link<T>, Link<TOut>> start)
    {
        options ??= new StageOptions();
        options.Validate();
        options.ValidateSingleWorker(kindName);
        var name = options.Name ?? $"{kindName}#{_stages}";
        return Then<TOut>(options.Capacity, 1, (run, input, output) => start(run, run.AddStage(name, 1, input), input, output));
    }

    private PipelineBuilder<TOut> Then<TOut>(int capacity, int workers, Action<RunContext, Link<T>, Link<TOut>> start)
    {
        var upstream = _build;
        return new PipelineBuilder<TOut>(
            Options,
            (run, spec) =>
            {
                var input = upstream(run, LinkSpec.For(capacity, run.Options.TransferBatchSize, singleReader: true));
                var output = new Link<TOut>(spec, singleWriter: workers == 1);
                start(run, input, output);
                return output;
            },
            _stages + 1);
    }

    private static void ValidateDelay(TimeSpan? delay, string name)
    {
        if (delay is { } d)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(d, TimeSpan.Zero, name);
        }
    }

    private static async IAsyncEnumerable<TOut> One<TOut>(Func<IAsyncEnumerable<T>, CancellationToken, ValueTask<TOut>> aggregate, IAsyncEnumerable<T> items, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return await aggregate(items, cancellationToken).ConfigureAwait(false);
    }
}
