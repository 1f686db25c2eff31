using BenchmarkDotNet.Attributes;
using Braid.Structured;

namespace Braid.Benchmarks.Structured;

/// <summary>
/// A bounded-concurrency map over 100,000 items: <see cref="Concurrent.MapAsync{TIn, TOut}(IEnumerable{TIn}, int, Func{TIn, CancellationToken, ValueTask{TOut}}, CancellationToken)"/>
/// (results in input order) against <see cref="Parallel.ForEachAsync{TSource}(IEnumerable{TSource}, ParallelOptions, Func{TSource, CancellationToken, ValueTask})"/>
/// storing each result by index. Target: MapAsync at least as fast.
/// </summary>
[MemoryDiagnoser]
public class MapBenchmarks
{
    private const int Items = 100_000;
    private const int Concurrency = 8;

    private int[] _source = [];

    [Params(false, true)]
    public bool Yield { get; set; }

    [GlobalSetup]
    public void Setup() => _source = [.. Enumerable.Range(0, Items)];

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public async Task<int[]> ParallelForEachAsync()
    {
        var results = new int[_source.Length];
        var yield = Yield;
        await Parallel.ForEachAsync(
            _source,
            new ParallelOptions { MaxDegreeOfParallelism = Concurrency },
            async (i, ct) => results[i] = await WorkAsync(i, yield));
        return results;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<int[]> MapAsync()
    {
        var yield = Yield;
        return Concurrent.MapAsync(_source, Concurrency, (i, ct) => WorkAsync(i, yield));
    }

    private static ValueTask<int> WorkAsync(int i, bool yield) => yield ? YieldThenAsync(i) : ValueTask.FromResult(i * 2);

    private static async ValueTask<int> YieldThenAsync(int i)
    {
        await Task.Yield();
        return i * 2;
    }
}
