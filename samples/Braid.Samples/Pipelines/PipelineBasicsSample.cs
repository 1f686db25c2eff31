using Braid.Pipelines;

namespace Braid.Samples.Pipelines;

/// <summary>
/// What pyper users wish pyper did: per-stage workers that are never capped, ordered output, early
/// stop that leaves nothing running, and a failure that stops every stage and is reported whole.
/// </summary>
public sealed class PipelineBasicsSample : ISample
{
    /// <inheritdoc />
    public string Name => "pipeline-basics";

    /// <inheritdoc />
    public string Description => "Map with 8 workers in order, take the first 5, then a failure that stops every stage.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var clock = TimeProvider.System;

        // 1. Eight workers, each "fetch" waits 50 ms: 40 items take about 250 ms, and come out in order.
        var start = clock.GetTimestamp();
        var fetched = new List<int>();
        await Pipeline.From(Enumerable.Range(1, 40))
            .Map(async (x, ct) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), clock, ct);
                return x * x;
            }, new StageOptions { Workers = 8 })
            .RunAsync(fetched.Add, cancellationToken);
        await output.WriteLineAsync($"40 fetches of 50 ms on 8 workers: {clock.GetElapsedTime(start).TotalMilliseconds:F0} ms, in order: {string.Join(' ', fetched.Take(8))} ...");

        // 2. Early stop: the first 5 results of an endless source; every stage stops when we leave.
        var first = new List<int>();
        await foreach (var x in Pipeline.From(Endless()).Filter(x => x % 7 == 0).WithCancellation(cancellationToken))
        {
            first.Add(x);
            if (first.Count == 5)
            {
                break;
            }
        }

        await output.WriteLineAsync($"first five multiples of 7 from an endless source: {string.Join(' ', first)}");

        // 3. A failure in the middle stage stops the source and the sink, and is thrown with its stage.
        try
        {
            await Pipeline.From(Endless())
                .Map(x => x == 1000 ? throw new InvalidOperationException("bad record 1000") : x, new StageOptions { Name = "parse", Workers = 4 })
                .RunAsync(cancellationToken);
        }
        catch (PipelineException e)
        {
            await output.WriteLineAsync($"failed fast: {e.Failures.Count} failure, stage '{e.Failures[0].Stage}': {e.Failures[0].Exception.Message}");
        }

        return 0;
    }

    private static IEnumerable<int> Endless()
    {
        for (var i = 0; ; i++)
        {
            yield return i;
        }
    }
}
