using Akka.Actor;
using Akka.Streams;
using BenchmarkDotNet.Attributes;

namespace Braid.Benchmarks.Pipelines;

/// <summary>
/// A three-stage pipeline with trivial work per item (the cost is the pipeline itself), one worker per
/// stage, 1M items. Figures are per item (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class TrivialPipelineBenchmarks
{
    private const int Items = 1_000_000;
    private static readonly Func<int, int> F = static x => x + 1;
    private static readonly Func<int, int> G = static x => x * 2;
    private static readonly Func<int, int> H = static x => x - 1;
    private ActorSystem? _system;
    private IMaterializer? _materializer;

    [GlobalSetup]
    public void Setup() => (_system, _materializer) = PipelineWorkloads.StartAkka();

    [GlobalCleanup]
    public void Cleanup() => _system?.Terminate().Wait();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public Task<long> Dataflow_bounded() => PipelineWorkloads.DataflowAsync(Items, F, G, H, 1, bounded: true);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Dataflow_unbounded() => PipelineWorkloads.DataflowAsync(Items, F, G, H, 1, bounded: false);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Channels_by_hand() => PipelineWorkloads.ChannelsAsync(Items, F, G, H, 1);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Akka_fused() => PipelineWorkloads.AkkaAsync(_materializer!, Items, F, G, H, asyncBoundaries: false);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Akka_async_boundaries() => PipelineWorkloads.AkkaAsync(_materializer!, Items, F, G, H, asyncBoundaries: true);

    [Benchmark(OperationsPerInvoke = Items)]
    public Task<long> Braid() => PipelineWorkloads.BraidAsync(Items, F, G, H, 1);
}
