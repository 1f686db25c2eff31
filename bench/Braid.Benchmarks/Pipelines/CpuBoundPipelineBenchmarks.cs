using Akka.Actor;
using Akka.Streams;
using BenchmarkDotNet.Attributes;

namespace Braid.Benchmarks.Pipelines;

/// <summary>
/// A three-stage pipeline where each stage does about a microsecond of arithmetic per item, with two
/// workers per stage (the machine has two cores), 100k items. Figures are per item.
/// </summary>
[MemoryDiagnoser]
public class CpuBoundPipelineBenchmarks
{
    private const int Items = 100_000;
    private static readonly Func<int, int> Work = static x => Spin(x);
    private ActorSystem? _system;
    private IMaterializer? _materializer;

    [GlobalSetup]
    public void Setup() => (_system, _materializer) = PipelineWorkloads.StartAkka();

    [GlobalCleanup]
    public void Cleanup() => _system?.Terminate().Wait();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public Task<long> Dataflow_bounded() => PipelineWorkloads.DataflowAsync(Items, Work, Work, Work, 2, bounded: true);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Channels_by_hand() => PipelineWorkloads.ChannelsAsync(Items, Work, Work, Work, 2);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Akka_async_boundaries() => PipelineWorkloads.AkkaAsync(_materializer!, Items, Work, Work, Work, asyncBoundaries: true);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Braid() => PipelineWorkloads.BraidAsync(Items, Work, Work, Work, 2);

    private static int Spin(int x)
    {
        // About 1 µs of dependent integer arithmetic (an xorshift chain).
        var h = (uint)x | 1;
        for (var i = 0; i < 300; i++)
        {
            h ^= h << 13;
            h ^= h >> 17;
            h ^= h << 5;
        }

        return (int)(h & 0xFF);
    }
}
