using System.Globalization;
using Braid.Lab.Measurement;

namespace Braid.Lab.Tests.Measurement;

/// <summary>Issue 12: the cpu column measured the runtime's JIT thread and the in-process record server, not the model.</summary>
public sealed class CpuMeasurementTests
{
    [Fact]
    public void The_runtime_threads_cpu_is_counted_apart_and_other_threads_are_not()
    {
        var runtime = new RuntimeThreads(["braid-lab-sampl"]); // not this test host's own JIT thread
        runtime.Reset();

        // A thread with the sampler's name burns 100 ms of its own CPU (read from the kernel, not a
        // clock: the machine is shared), and a thread with another name burns as much again; both are
        // read while alive, as the sampler reads them.
        using var sampler = new Spinner("braid-lab-sampler");
        using var other = new Spinner("some-model-thread");
        var (user, system) = runtime.Used();
        Assert.InRange(user + system, 100, 190);
    }

    [Fact]
    public async Task The_record_server_runs_in_its_own_process_and_ends_with_the_run()
    {
        var options = LabTestSupport.Small(LabCatalog.Io, LabCatalog.Sequential);
        int? servers = null;
        var progress = new Watch(() => servers ??= LabTestSupport.ChildWorkers().Count);
        var results = await LabRunner.RunAsync(options, progress);
        Assert.Equal(1, servers);
        Assert.Empty(LabTestSupport.ChildWorkers());
        Assert.True(results.AllChecksPassed, string.Join("; ", results.Checks));
        Assert.Contains("the record server runs in its own process", results.Overhead.CpuMethod, StringComparison.Ordinal);
    }

    /// <summary>A named thread that burns 100 ms of its own CPU, then waits, alive, until disposed.</summary>
    private sealed class Spinner : IDisposable
    {
        private readonly ManualResetEventSlim _spun = new();
        private readonly ManualResetEventSlim _release = new();
        private readonly Thread _thread;

        public Spinner(string name)
        {
            _thread = new Thread(() =>
            {
                var x = 1.0;
                while (OwnTicks() < 10)
                {
                    for (var i = 0; i < 100_000; i++)
                    {
                        x = Math.Sqrt(x + i);
                    }
                }

                GC.KeepAlive(x);
                _spun.Set();
                _release.Wait();
            })
            { Name = name };
            _thread.Start();
            _spun.Wait();
        }

        public void Dispose()
        {
            _release.Set();
            _thread.Join();
            _spun.Dispose();
            _release.Dispose();
        }
    }

    /// <summary>This thread's user + system CPU time in clock ticks of 10 ms (proc(5), fields 14 and 15).</summary>
    private static long OwnTicks()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private sealed class Watch(Action onReport) : IProgress<LabProgress>
    {
        public void Report(LabProgress value) => onReport();
    }
}
