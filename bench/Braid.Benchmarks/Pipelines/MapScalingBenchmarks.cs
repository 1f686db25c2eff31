using BenchmarkDotNet.Attributes;
using Braid.Bench.Shared;

namespace Braid.Benchmarks.Pipelines;

/// <summary>
/// Issue 11, part 2, in BenchmarkDotNet: source → <c>Map(work)</c> → sink over 200,000 items against a
/// plain <c>for</c> loop doing the same work (the serial limit) and Dataflow with two workers, for work of
/// about 0, 40 and 290 ns an item (<see cref="Rounds"/> of an xorshift chain). The same cases
/// (<see cref="MapWorkload"/>) run interleaved in one plain process in <c>bench/Braid.Interleaved
/// --filter pipeline</c>; bench/README.md quotes both. Figures are per item (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class MapScalingBenchmarks
{
    private Func<int, int> _work = MapWorkload.WorkOf(0);

    /// <summary>Rounds of the hash chain: 0, 32 and 120 are about 0, 40 and 290 ns on this project's machine.</summary>
    [Params(0, 32, 120)]
    public int Rounds { get; set; }

    [GlobalSetup]
    public void Setup() => _work = MapWorkload.WorkOf(Rounds);

    [Benchmark(Baseline = true, OperationsPerInvoke = MapWorkload.Items)]
    public long Serial() => MapWorkload.Serial(_work);

    [Benchmark(OperationsPerInvoke = MapWorkload.Items)]
    public Task<long> Braid_1_worker() => MapWorkload.BraidAsync(_work, 1, ordered: true);

    [Benchmark(OperationsPerInvoke = MapWorkload.Items)]
    public Task<long> Braid_2_workers_ordered() => MapWorkload.BraidAsync(_work, 2, ordered: true);

    [Benchmark(OperationsPerInvoke = MapWorkload.Items)]
    public Task<long> Braid_2_workers_unordered() => MapWorkload.BraidAsync(_work, 2, ordered: false);

    [Benchmark(OperationsPerInvoke = MapWorkload.Items)]
    public Task<long> Dataflow_2_workers() => MapWorkload.DataflowAsync(_work, 2);
}
