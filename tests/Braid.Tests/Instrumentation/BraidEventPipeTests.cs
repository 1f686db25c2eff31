using System.Diagnostics.Tracing;
using Braid.Coordination;
using Braid.Instrumentation;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Braid.Tests.Instrumentation;

// docs/design.md rule 124: an EventPipe session, opened the way dotnet-trace opens one (here on this
// process), turns the flag on and records Braid's events; sessions are process-wide.
[Collection(nameof(InstrumentationCollection))]
public sealed class BraidEventPipeTests
{
    [Fact]
    public async Task An_EventPipe_session_with_Braids_keywords_records_a_contended_locks_waiters()
    {
        var (recorded, enabled) = await RecordAsync(keywords: 0xF);
        Assert.True(enabled);
        Assert.Equal(["WaiterQueued AsyncLock", "WaiterReleased AsyncLock"], recorded);
    }

    [Fact]
    public async Task A_session_with_keywords_zero_as_a_bare_providers_Braid_asks_records_none_of_them()
    {
        // docs/diagnostics.md: `dotnet-trace collect --providers Braid` sends keywords 0, which EventPipe
        // matches only to events without keywords; name them (Braid:0xF).
        var (recorded, enabled) = await RecordAsync(keywords: 0);
        Assert.True(enabled);
        Assert.Empty(recorded);
    }

    private static async Task<(List<string> Recorded, bool Enabled)> RecordAsync(long keywords)
    {
        var client = new DiagnosticsClient(Environment.ProcessId);
        var gate = new AsyncLock();
        var recorded = new List<string>();
        bool enabled;
        using (var session = await client.StartEventPipeSessionAsync([new EventPipeProvider("Braid", EventLevel.Informational, keywords)], requestRundown: false, token: CancellationToken.None))
        {
            var reading = Task.Run(() =>
            {
                using var source = new EventPipeEventSource(session.EventStream);
                source.Dynamic.All += e =>
                {
                    if (e.ProviderName == "Braid" && e.PayloadByName("primitiveId") is long id && id == gate.Id)
                    {
                        recorded.Add($"{e.EventName} {e.PayloadByName("primitive")}");
                    }
                };
                source.Process();
            });

            enabled = BraidInstrumentation.IsEnabled;
            var holder = await gate.LockAsync();
            var next = gate.LockAsync().AsTask();
            holder.Dispose();
            (await next).Dispose();
            await session.StopAsync(CancellationToken.None);
            await reading;
        }

        // Stopping the session disabled the source: the flag is off again.
        Assert.False(BraidInstrumentation.IsEnabled);
        return (recorded, enabled);
    }
}
