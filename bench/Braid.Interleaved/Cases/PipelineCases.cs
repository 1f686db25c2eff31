using System.Threading.Tasks.Dataflow;
using Braid.Bench.Shared;
using Braid.Pipelines;

namespace Braid.Interleaved.Cases;

/// <summary>
/// Issue 11, parts 2 and 3. (a) source → <c>Map(work)</c> → sink over 200,000 items, for five amounts of
/// work per item, against a plain <c>for</c> loop doing the same work (the serial limit) and TPL Dataflow
/// with two workers (<see cref="MapWorkload"/>, shared with BenchmarkDotNet's <c>MapScalingBenchmarks</c>). (b) The trivial 3-stage pipeline of <c>TrivialPipelineBenchmarks</c> against Dataflow,
/// whose run-to-run spread part 3 is about.
/// </summary>
internal static class PipelineCases
{
    private const int TrivialItems = 1_000_000;
    private const int Capacity = MapWorkload.Capacity;

    /// <summary>The pipelines' <see cref="PipelineOptions.TransferBatchSize"/> (<c>--batch N</c>; the default is the library's).</summary>
    public static int TransferBatchSize { get; set; } = new PipelineOptions().TransferBatchSize;

    private static PipelineOptions Options => new() { TransferBatchSize = TransferBatchSize };

    public static IEnumerable<BenchCase> All()
    {
        foreach (var (name, _, work) in MapWorkload.Works)
        {
            var group = $"pipeline/map, work {name}";
            yield return new BenchCase(group, "for loop (serial limit)", MapWorkload.Items, () => Task.FromResult(MapWorkload.Serial(work)), IsBaseline: true);
            yield return new BenchCase(group, "Braid, 1 worker", MapWorkload.Items, () => MapWorkload.BraidAsync(work, 1, ordered: true, Options));
            yield return new BenchCase(group, "Braid, 2 workers ordered", MapWorkload.Items, () => MapWorkload.BraidAsync(work, 2, ordered: true, Options));
            yield return new BenchCase(group, "Braid, 2 workers unordered", MapWorkload.Items, () => MapWorkload.BraidAsync(work, 2, ordered: false, Options));
            yield return new BenchCase(group, "Dataflow, 2 workers", MapWorkload.Items, () => MapWorkload.DataflowAsync(work, 2));
        }

        const string trivial = "pipeline/trivial 3-stage";
        yield return new BenchCase(trivial, "Dataflow, bounded", TrivialItems, TrivialDataflowAsync, IsBaseline: true);
        yield return new BenchCase(trivial, "Braid", TrivialItems, TrivialBraidAsync);
    }

    private static async Task<long> TrivialBraidAsync()
    {
        long sum = 0;
        var stage = new StageOptions { Capacity = Capacity };
        await Pipeline.From(Enumerable.Range(0, TrivialItems), Options)
            .Map(static x => x + 1, stage)
            .Map(static x => x * 2, stage)
            .Map(static x => x - 1, stage)
            .RunAsync(x => sum += x);
        return sum;
    }

    private static async Task<long> TrivialDataflowAsync()
    {
        long sum = 0;
        var options = new ExecutionDataflowBlockOptions { BoundedCapacity = Capacity };
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        var first = new TransformBlock<int, int>(static x => x + 1, options);
        var second = new TransformBlock<int, int>(static x => x * 2, options);
        var third = new TransformBlock<int, int>(static x => x - 1, options);
        var sink = new ActionBlock<int>(x => sum += x, options);
        first.LinkTo(second, link);
        second.LinkTo(third, link);
        third.LinkTo(sink, link);
        for (var i = 0; i < TrivialItems; i++)
        {
            if (!first.Post(i))
            {
                await first.SendAsync(i);
            }
        }

        first.Complete();
        await sink.Completion;
        return sum;
    }
}
