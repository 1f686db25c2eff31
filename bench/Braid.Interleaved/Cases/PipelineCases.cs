using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Braid.Pipelines;

namespace Braid.Interleaved.Cases;

/// <summary>
/// Issue 11, parts 2 and 3. (a) source → <c>Map(work)</c> → sink over 200,000 items, for four amounts of
/// work per item, against a plain <c>for</c> loop doing the same work (the serial limit) and TPL Dataflow
/// with two workers. (b) The trivial 3-stage pipeline of <c>TrivialPipelineBenchmarks</c> against Dataflow,
/// whose run-to-run spread part 3 is about.
/// </summary>
internal static class PipelineCases
{
    private const int Items = 200_000;
    private const int TrivialItems = 1_000_000;
    private const int Capacity = 1024;

    /// <summary>The pipelines' <see cref="PipelineOptions.TransferBatchSize"/> (<c>--batch N</c>; the default is the library's).</summary>
    public static int TransferBatchSize { get; set; } = new PipelineOptions().TransferBatchSize;

    private static PipelineOptions Options => new() { TransferBatchSize = TransferBatchSize };

    // Rounds of the hash loop for ≈ 0, 10, 40, 290 and 1,300 ns of work per item on this project's machine
    // kind (2 cores, AMD EPYC), calibrated on the serial loop's fastest rounds. A round costs more as
    // the chain grows (about 1.2 ns at 32 rounds, 2.2 at 120, 2.5 at 520): the CPU overlaps short chains
    // of consecutive items. The baseline row of each group prints the serial per-item time measured.
    // 10 ns sits just below the work per item at which a stage with several workers stops fusing
    // (a batch of 64 under about 1 µs, design rule 66): there two workers run like one.
    // The work functions are compiled fully optimized from their first call, as Braid's per-item loops
    // are (design rule 106): a lambda is the caller's code and runs at tier 0 for the first ~100 ms of
    // calls, which the serial loop hides (its OSR version inlines the function) and a stage cannot (it
    // calls the delegate), so a short run measured the JIT's tiering instead of the pipeline.
    private static readonly (string Name, Func<int, int> Work)[] Works =
    [
        ("0", Work0),
        ("10ns", Work12),
        ("40ns", Work32),
        ("290ns", Work120),
        ("1300ns", Work520),
    ];

    public static IEnumerable<BenchCase> All()
    {
        foreach (var (name, work) in Works)
        {
            var group = $"pipeline/map, work {name}";
            yield return new BenchCase(group, "for loop (serial limit)", Items, () => Task.FromResult(Serial(work)), IsBaseline: true);
            yield return new BenchCase(group, "Braid, 1 worker", Items, () => BraidAsync(work, 1, ordered: true));
            yield return new BenchCase(group, "Braid, 2 workers ordered", Items, () => BraidAsync(work, 2, ordered: true));
            yield return new BenchCase(group, "Braid, 2 workers unordered", Items, () => BraidAsync(work, 2, ordered: false));
            yield return new BenchCase(group, "Dataflow, 2 workers", Items, () => DataflowAsync(work, 2));
        }

        const string trivial = "pipeline/trivial 3-stage";
        yield return new BenchCase(trivial, "Dataflow, bounded", TrivialItems, TrivialDataflowAsync, IsBaseline: true);
        yield return new BenchCase(trivial, "Braid", TrivialItems, TrivialBraidAsync);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Work0(int x) => Hash(x, 0);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Work12(int x) => Hash(x, 12);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Work32(int x) => Hash(x, 32);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Work120(int x) => Hash(x, 120);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Work520(int x) => Hash(x, 520);

    /// <summary>A dependent chain of <paramref name="rounds"/> xorshift steps that the JIT cannot fold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(int x, int rounds)
    {
        var h = ((uint)x * 2654435761u) | 1;
        for (var i = 0; i < rounds; i++)
        {
            h ^= h << 13;
            h ^= h >> 17;
            h ^= h << 5;
        }

        return (int)(h & 0xFF);
    }

    private static long Serial(Func<int, int> work)
    {
        long sum = 0;
        for (var i = 0; i < Items; i++)
        {
            sum += work(i);
        }

        return sum;
    }

    private static async Task<long> BraidAsync(Func<int, int> work, int workers, bool ordered)
    {
        long sum = 0;
        await Pipeline.From(Enumerable.Range(0, Items), Options)
            .Map(work, new StageOptions { Workers = workers, Ordered = ordered, Capacity = Capacity })
            .RunAsync(x => sum += x);
        return sum;
    }

    private static async Task<long> DataflowAsync(Func<int, int> work, int workers)
    {
        long sum = 0;
        var map = new TransformBlock<int, int>(work, new ExecutionDataflowBlockOptions { BoundedCapacity = Capacity, MaxDegreeOfParallelism = workers });
        var sink = new ActionBlock<int>(x => sum += x, new ExecutionDataflowBlockOptions { BoundedCapacity = Capacity });
        map.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });
        for (var i = 0; i < Items; i++)
        {
            if (!map.Post(i))
            {
                await map.SendAsync(i);
            }
        }

        map.Complete();
        await sink.Completion;
        return sum;
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
