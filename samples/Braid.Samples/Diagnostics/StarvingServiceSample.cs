using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Braid.Diagnostics;
using Braid.Diagnostics.Tracing;

namespace Braid.Samples.Diagnostics;

/// <summary>
/// A small order service under concurrent load whose request handler blocks a pool thread on async
/// code (<c>GetAsync(id).Result</c>): the thread pool starves, and <see cref="StarvationMonitor"/> says
/// so and names the call. <c>--fixed</c> runs the same load with the handler awaiting instead.
/// </summary>
public sealed class StarvingServiceSample : ISample
{
    private const int Requests = 80;

    /// <inheritdoc />
    public string Name => "starvation";

    /// <inheritdoc />
    public string Description => "An order service whose handler does .Result on the pool starves it; the verdict names the call (--fixed: awaits, not starved; --trace FILE: a Perfetto trace of the run).";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var arguments = Environment.GetCommandLineArgs();
        var fixedVersion = arguments.Contains("--fixed");
        var traceAt = Array.IndexOf(arguments, "--trace");
        var tracePath = traceAt >= 0 && traceAt + 1 < arguments.Length ? arguments[traceAt + 1] : null;
        var service = new OrderService();
        await output.WriteLineAsync(fixedVersion
            ? $"fixed service: {Requests} concurrent requests, each handler awaits OrderService.GetAsync"
            : $"starving service: {Requests} concurrent requests, each handler blocks on OrderService.GetAsync(id).Result");

        var started = Stopwatch.GetTimestamp();
        StarvationReport report;
        using var recorder = tracePath is null ? null : TraceRecorder.Start();
        await using (var monitor = StarvationMonitor.Start())
        {
            var requests = Enumerable.Range(1, Requests)
                .Select(id => fixedVersion
                    ? Task.Run(() => service.HandleAsync(id, cancellationToken), cancellationToken)
                    : Task.Run(() => service.Handle(id), cancellationToken))
                .ToList();
            var orders = await Task.WhenAll(requests);
            report = monitor.Verdict();
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"served {orders.Length} orders (total {orders.Sum(o => o.Total)}) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F2} s"));
        }

        if (recorder is not null)
        {
            recorder.Stop();
            using (var file = File.Create(tracePath!))
            {
                recorder.WriteTo(file);
            }

            await output.WriteLineAsync($"trace: {tracePath} ({recorder.RecordedEvents} events recorded; open it in ui.perfetto.dev)");
        }

        await output.WriteLineAsync($"verdict: {report.Verdict}");
        foreach (var site in report.CallSites.Where(s => s.Share >= 0.01).Take(3))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {site.Share * 100,3:F0}%  {site.Name} ({site.Count} waits)"));
        }

        if (!fixedVersion)
        {
            await output.WriteLineAsync("run with --fixed for the handler that awaits");
        }

        return 0;
    }

    private sealed record Order(int Id, decimal Total);

    /// <summary>A service whose data access is async, as a database client's is.</summary>
    private sealed class OrderService
    {
        // The mistake: a synchronous handler on a pool thread blocking on async data access.
#pragma warning disable VSTHRD002, VSTHRD103 // This is the anti-pattern being demonstrated.
        public Order Handle(int id) => Get(id);

        [MethodImpl(MethodImplOptions.NoInlining)]
        public Order Get(int id) => GetAsync(id, CancellationToken.None).Result;
#pragma warning restore VSTHRD002, VSTHRD103

        // The fix: async all the way up.
        public async Task<Order> HandleAsync(int id, CancellationToken cancellationToken) =>
            await GetAsync(id, cancellationToken).ConfigureAwait(false);

        private static async Task<Order> GetAsync(int id, CancellationToken cancellationToken)
        {
            // The database round trip: its completion needs a pool thread to run on.
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            return new Order(id, id * 1.5m);
        }
    }
}
