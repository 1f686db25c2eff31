using BenchmarkDotNet.Attributes;
using Braid.Coordination;
using Braid.Instrumentation;

namespace Braid.Benchmarks.Coordination;

/// <summary>
/// The uncontended acquire and release with and without a task tree session running: the session turns
/// the instrumentation flag on, and the acquire must not read it (docs/design.md rule 125), so both
/// sides should be the same. Target: equal within noise, 0 bytes.
/// </summary>
[MemoryDiagnoser]
public class UncontendedLockTaskTreeBenchmarks
{
    private readonly AsyncLock _lock = new();
    private readonly AsyncReaderWriterLock _readerWriter = new();
    private IDisposable? _session;

    /// <summary>Whether a task tree session (<see cref="LiveTasks.Start"/>) runs.</summary>
    [Params(false, true)]
    public bool Session { get; set; }

    [GlobalSetup]
    public void Setup() => _session = Session ? LiveTasks.Start() : null;

    [GlobalCleanup]
    public void Cleanup() => _session?.Dispose();

    [Benchmark(Baseline = true)]
    public async Task AsyncLock()
    {
        using (await _lock.LockAsync())
        {
        }
    }

    [Benchmark]
    public async Task WriterLock()
    {
        using (await _readerWriter.WriterLockAsync())
        {
        }
    }
}
