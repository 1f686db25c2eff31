using System.Runtime.CompilerServices;
using Braid.Pipelines.Engine;

namespace Braid.Pipelines;

// VSTHRD200 takes every method returning an IAsyncEnumerable for an async method. Stage methods
// return builders (which can be enumerated) and never wait, so they keep their plain names.
#pragma warning disable VSTHRD200

/// <summary>
/// Where pipelines begin: a source of items, then stages added fluently.
/// </summary>
/// <example>
/// <code>
/// var squares = Pipeline.From(Enumerable.Range(1, 1000))
///     .Map(x => x * x, new StageOptions { Workers = 4 })
///     .Filter(x => x % 3 == 0);
/// await foreach (var s in squares) { Console.WriteLine(s); }
/// </code>
/// </example>
public static class Pipeline
{
    /// <summary>A pipeline whose source is a sequence, enumerated on one thread-pool worker.</summary>
    /// <param name="source">The items; enumerated once per run. A sequence that blocks holds a pool thread.</param>
    /// <param name="options">The pipeline's options (default <see cref="PipelineOptions.Default"/>).</param>
    /// <typeparam name="T">The items' type.</typeparam>
    public static PipelineBuilder<T> From<T>(IEnumerable<T> source, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Create(options, source, null);
    }

    /// <summary>A pipeline whose source is an asynchronous stream; its enumeration gets the run's token.</summary>
    /// <param name="source">The items; enumerated once per run.</param>
    /// <param name="options">The pipeline's options.</param>
    /// <typeparam name="T">The items' type.</typeparam>
    public static PipelineBuilder<T> From<T>(IAsyncEnumerable<T> source, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Create(options, null, _ => source);
    }

    /// <summary>A pipeline whose source is a function producing an asynchronous stream, called once per run with the run's token.</summary>
    /// <param name="source">Produces the items of one run.</param>
    /// <param name="options">The pipeline's options.</param>
    /// <typeparam name="T">The items' type.</typeparam>
    public static PipelineBuilder<T> From<T>(Func<CancellationToken, IAsyncEnumerable<T>> source, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Create(options, null, source);
    }

    /// <summary>A pipeline whose source is a function called repeatedly until it returns <c>(false, _)</c>.</summary>
    /// <param name="next">Returns whether there is an item, and the item; called one call at a time with the run's token.</param>
    /// <param name="options">The pipeline's options.</param>
    /// <typeparam name="T">The items' type.</typeparam>
    public static PipelineBuilder<T> From<T>(Func<CancellationToken, ValueTask<(bool HasItem, T Item)>> next, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(next);
        return Create(options, null, ct => Generate(next, ct));
    }

    private static PipelineBuilder<T> Create<T>(PipelineOptions? options, IEnumerable<T>? items, Func<CancellationToken, IAsyncEnumerable<T>>? asyncItems)
    {
        options ??= PipelineOptions.Default;
        options.Validate();
        return new PipelineBuilder<T>(
            options,
            (run, spec) =>
            {
                var output = new Link<T>(spec, singleWriter: true);
                var counters = run.AddStage("source", 1, null);
                new SourceStage<T>(items, asyncItems, run, counters, output).Start();
                return output;
            },
            1);
    }

    private static async IAsyncEnumerable<T> Generate<T>(Func<CancellationToken, ValueTask<(bool HasItem, T Item)>> next, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var (hasItem, item) = await next(cancellationToken).ConfigureAwait(false);
            if (!hasItem)
            {
                yield break;
            }

            yield return item;
        }
    }
}
