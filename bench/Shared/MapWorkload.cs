using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Braid.Pipelines;

namespace Braid.Bench.Shared;

/// <summary>
/// Issue 11, part 2: source → <c>Map(work)</c> → sink over <see cref="Items"/> items, with the work a chain
/// of xorshift rounds, against a plain <c>for</c> loop doing the same work (the serial limit) and TPL
/// Dataflow. One definition for both harnesses (linked into <c>bench/Braid.Interleaved</c> and
/// <c>bench/Braid.Benchmarks</c>), so they measure the same cases.
/// </summary>
internal static class MapWorkload
{
    public const int Items = 200_000;

    public const int Capacity = 1024;

    // Rounds of the hash loop for ≈ 0, 10, 40, 290 and 1,300 ns of work per item on this project's machine
    // kind (2 cores, AMD EPYC), calibrated on the serial loop's fastest rounds. A round costs more as the
    // chain grows (about 1.2 ns at 32 rounds, 2.2 at 120, 2.5 at 520): the CPU overlaps short chains of
    // consecutive items. The work functions are compiled fully optimized from their first call, as
    // Braid's per-item loops are (design rule 106): a lambda is the caller's code and runs at tier 0 for
    // the first ~100 ms of calls, which the serial loop hides (its OSR version inlines the function) and
    // a stage cannot (it calls the delegate), so a short run measured the JIT's tiering, not the pipeline.
    public static readonly (string Name, int Rounds, Func<int, int> Work)[] Works =
    [
        ("0", 0, Work0),
        ("10ns", 12, Work12),
        ("40ns", 32, Work32),
        ("290ns", 120, Work120),
        ("1300ns", 520, Work520),
    ];

    /// <summary>The work function of <paramref name="rounds"/> rounds (one of <see cref="Works"/>).</summary>
    public static Func<int, int> WorkOf(int rounds) =>
        Works.FirstOrDefault(w => w.Rounds == rounds).Work ?? throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "no work function with that many rounds");

    /// <summary>The serial limit: the same work in a plain loop.</summary>
    public static long Serial(Func<int, int> work)
    {
        long sum = 0;
        for (var i = 0; i < Items; i++)
        {
            sum += work(i);
        }

        return sum;
    }

    public static async Task<long> BraidAsync(Func<int, int> work, int workers, bool ordered, PipelineOptions? options = null)
    {
        long sum = 0;
        await Pipeline.From(Enumerable.Range(0, Items), options)
            .Map(work, new StageOptions { Workers = workers, Ordered = ordered, Capacity = Capacity })
            .RunAsync(x => sum += x);
        return sum;
    }

    public static async Task<long> DataflowAsync(Func<int, int> work, int workers)
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
}
