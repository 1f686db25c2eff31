using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using BenchmarkDotNet.Attributes;
using Braid.Pipelines;

namespace Braid.Benchmarks.Pipelines;

/// <summary>
/// Issue 11, part 2, in BenchmarkDotNet: source → <c>Map(work)</c> → sink over 200,000 items against a
/// plain <c>for</c> loop doing the same work (the serial limit) and Dataflow with two workers, for work of
/// about 0, 40 and 290 ns an item (<see cref="Rounds"/> of an xorshift chain). The same cases, with the
/// same work functions, run interleaved in one plain process in <c>bench/Braid.Interleaved --filter
/// pipeline</c>; bench/README.md quotes both. Figures are per item (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class MapScalingBenchmarks
{
    private const int Items = 200_000;
    private const int Capacity = 1024;
    private Func<int, int> _work = Work0;

    /// <summary>Rounds of the hash chain: 0, 32 and 120 are about 0, 40 and 290 ns on this project's machine.</summary>
    [Params(0, 32, 120)]
    public int Rounds { get; set; }

    [GlobalSetup]
    public void Setup() => _work = Rounds switch
    {
        0 => Work0,
        32 => Work32,
        120 => Work120,
        _ => throw new InvalidOperationException($"no work function for {Rounds} rounds"),
    };

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public long Serial()
    {
        long sum = 0;
        for (var i = 0; i < Items; i++)
        {
            sum += _work(i);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Braid_1_worker() => BraidAsync(1, ordered: true);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Braid_2_workers_ordered() => BraidAsync(2, ordered: true);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Braid_2_workers_unordered() => BraidAsync(2, ordered: false);

    [Benchmark(OperationsPerInvoke = Items)]
    public async Task<long> Dataflow_2_workers()
    {
        long sum = 0;
        var map = new TransformBlock<int, int>(_work, new ExecutionDataflowBlockOptions { BoundedCapacity = Capacity, MaxDegreeOfParallelism = 2 });
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

    private async Task<long> BraidAsync(int workers, bool ordered)
    {
        long sum = 0;
        await Pipeline.From(Enumerable.Range(0, Items))
            .Map(_work, new StageOptions { Workers = workers, Ordered = ordered, Capacity = Capacity })
            .RunAsync(x => sum += x);
        return sum;
    }

    // As in bench/Braid.Interleaved: compiled fully optimized, so neither harness measures a lambda's tier 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Work0(int x) => Hash(x, 0);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Work32(int x) => Hash(x, 32);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Work120(int x) => Hash(x, 120);

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
