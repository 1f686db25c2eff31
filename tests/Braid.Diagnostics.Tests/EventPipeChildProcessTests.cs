using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Braid.Diagnostics.Tests;

/// <summary>
/// Braid seen from outside, as <c>dotnet-trace</c> and <c>dotnet-counters</c> see it: a real program
/// (tests/Braid.Diagnostics.Child) runs three task groups of two children while an EventPipe session
/// opened on its process id reads the <c>Braid</c> event source and the <c>Braid</c> meter (through
/// the runtime's <c>System.Diagnostics.Metrics</c> provider). The program is driven on stdin, and each
/// step waits for what the session reports, never for time to pass.
/// </summary>
public sealed class EventPipeChildProcessTests
{
    [Fact]
    public async Task A_session_on_another_process_reads_Braids_events_and_counters()
    {
        using var child = StartChild();
        try
        {
            await WatchAsync(child);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(); // only after a failure: the program exits on "exit"
            }
        }
    }

    private static async Task WatchAsync(Process child)
    {
        Assert.Equal("ready", await child.StandardOutput.ReadLineAsync().WaitAsync(Guard.Timeout));

        var events = new ConcurrentQueue<string>();
        var counters = new ConcurrentDictionary<string, double>();
        var observed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var counted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sessionId = Guid.NewGuid().ToString();
        var providers = new[]
        {
            new EventPipeProvider("Braid", EventLevel.Informational, 0xF),
            new EventPipeProvider("System.Diagnostics.Metrics", EventLevel.Informational, 0x2, new Dictionary<string, string>
            {
                ["SessionId"] = sessionId,
                ["Metrics"] = "Braid",
                ["RefreshInterval"] = "0.2",
                ["MaxTimeSeries"] = "100",
                ["MaxHistograms"] = "10",
            }),
        };
        var client = new DiagnosticsClient(child.Id);
        using var session = await client.StartEventPipeSessionAsync(providers, requestRundown: false, token: CancellationToken.None);
        var reading = Task.Run(() =>
        {
            using var source = new EventPipeEventSource(session.EventStream);
            source.Dynamic.All += e =>
            {
                if (e.ProviderName == "Braid")
                {
                    events.Enqueue($"{e.EventName} {e.PayloadByName("name")}");
                }
                else if (e.EventName == "CounterRateValuePublished" && (string)e.PayloadByName("meterName") == "Braid")
                {
                    // The counters are cumulative from the first observation (docs/design.md rule 124): the value, where the
                    // runtime sends one, else the sum of the rates.
                    var instrument = (string)e.PayloadByName("instrumentName");
                    var value = e.PayloadByName("value") is string v && v.Length > 0
                        ? double.Parse(v, CultureInfo.InvariantCulture)
                        : counters.GetValueOrDefault(instrument) + double.Parse((string)e.PayloadByName("rate"), CultureInfo.InvariantCulture);
                    counters[instrument] = value;
                    observed.TrySetResult();
                    if (counters.GetValueOrDefault("braid.task_group.children.finished") >= 6 && counters.GetValueOrDefault("braid.task_group.finished") >= 3)
                    {
                        counted.TrySetResult();
                    }
                }
            };
            source.Process();
        });

        // The meter counts from its first observation: run the groups once the session has observed it.
        await observed.Task.WaitAsync(Guard.Timeout);
        await child.StandardInput.WriteLineAsync("go");
        Assert.Equal("done", await child.StandardOutput.ReadLineAsync().WaitAsync(Guard.Timeout));
        await counted.Task.WaitAsync(Guard.Timeout);
        await session.StopAsync(CancellationToken.None).WaitAsync(Guard.Timeout);
        await reading.WaitAsync(Guard.Timeout);
        await child.StandardInput.WriteLineAsync("exit");
        await child.WaitForExitAsync().WaitAsync(Guard.Timeout);
        Assert.Equal(0, child.ExitCode);

        var braid = events.ToList();
        Assert.Equal(3, braid.Count(e => e == "GroupStarted child-process"));
        Assert.Equal(6, braid.Count(e => e == "ChildStarted worker"));
        Assert.Equal(6, braid.Count(e => e == "ChildFinished worker"));
        Assert.Equal(3, braid.Count(e => e == "GroupFinished child-process"));
        Assert.Equal("GroupStarted child-process", braid[0]);
        Assert.Equal("GroupFinished child-process", braid[^1]);
        Assert.Equal(6, counters["braid.task_group.children.started"]);
        Assert.Equal(6, counters["braid.task_group.children.finished"]);
        Assert.Equal(3, counters["braid.task_group.started"]);
    }

    private static Process StartChild()
    {
        // The child is built beside this project (a ProjectReference) in the same configuration.
        var here = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var dll = Path.Combine(here.Replace("Braid.Diagnostics.Tests", "Braid.Diagnostics.Child", StringComparison.Ordinal), "Braid.Diagnostics.Child.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build tests/Braid.Diagnostics.Tests, which builds it");
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host, [dll])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        return Process.Start(start) ?? throw new InvalidOperationException("the child did not start");
    }
}
