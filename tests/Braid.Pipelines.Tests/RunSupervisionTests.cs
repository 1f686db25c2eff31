using Braid.Structured;
using Braid.Tests.Shared;

namespace Braid.Pipelines.Tests;

/// <summary>A run is a task group: it leaves nothing on the caller's token and obeys the scope it runs in.</summary>
public sealed class RunSupervisionTests
{
    [Fact]
    public async Task A_run_leaves_no_registration_on_the_callers_token_however_it_ends()
    {
        using var cts = new CancellationTokenSource();
        var baseline = TokenRegistrations.Count(cts);
        var ct = cts.Token;
        var slow = Pipeline.From(TestSupport.Infinite()).Map(async (int x, CancellationToken c) =>
        {
            await Task.Yield();
            return x;
        }, new StageOptions { Workers = 3 });

        // Completed.
        await Pipeline.From(Enumerable.Range(0, 1000)).Map(x => x + 1).RunAsync(ct).WaitAsync(TestSupport.HangGuard);
        Assert.Equal(baseline, TokenRegistrations.Count(cts));

        // Failed.
        await Assert.ThrowsAsync<PipelineException>(() => Pipeline.From(Enumerable.Range(0, 1000))
            .Map(x => x == 500 ? throw new InvalidOperationException("bad") : x)
            .RunAsync(ct)
            .WaitAsync(TestSupport.HangGuard));
        Assert.Equal(baseline, TokenRegistrations.Count(cts));

        // Stopped early, enumerated with a token of its own.
        using (var other = new CancellationTokenSource())
        {
            await foreach (var x in slow.Start(ct).WithCancellation(other.Token))
            {
                if (x == 100)
                {
                    break;
                }
            }

            Assert.Equal(0, TokenRegistrations.Count(other));
        }

        Assert.Equal(baseline, TokenRegistrations.Count(cts));

        // Cancelled by an enclosing scope.
        var scope = await CancelScope.RunAsync(async scope =>
        {
            var run = slow.RunAsync(ct);
            scope.Cancel("enough");
            await run.WaitAsync(TestSupport.HangGuard);
        });
        Assert.True(scope.CancelledCaught);
        Assert.Equal(baseline, TokenRegistrations.Count(cts));
    }

    [Fact]
    public async Task A_run_inside_a_scope_is_cancelled_with_it_and_says_so()
    {
        var seen = 0;
        var run = Task.CompletedTask;
        var scope = await CancelScope.RunAsync(async scope =>
        {
            run = Pipeline.From(TestSupport.Infinite()).RunAsync(_ =>
            {
                if (Interlocked.Increment(ref seen) == 1000)
                {
                    scope.Cancel("seen enough");
                }
            });
            await run.WaitAsync(TestSupport.HangGuard);
        });

        // The scope's cancellation reached the run (which links to the enclosing scope like any group)
        // and the run said so: results cut short are never a normal end.
        Assert.True(scope.CancelledCaught);
        Assert.True(run.IsCanceled);
    }

    [Fact]
    public async Task Cancelling_the_enumerations_own_token_throws_cancellation_rather_than_ending_the_stream()
    {
        using var cts = new CancellationTokenSource();
        var count = 0;
        var run = Pipeline.From(TestSupport.Infinite()).Map(x => x, new StageOptions { Capacity = 2 }).Start();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var x in run.WithCancellation(cts.Token))
            {
                if (++count == 100)
                {
                    await cts.CancelAsync();
                }
            }
        }).WaitAsync(TestSupport.HangGuard);

        Assert.Equal(cts.Token, error.CancellationToken);
        TestSupport.AssertStopped(run.GetStatistics());
    }
}
