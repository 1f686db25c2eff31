namespace Braid.Pipelines.Tests;

/// <summary>A run never returns while a function's call it started is still running (rule 60).</summary>
public sealed class InFlightCallTests
{
    private static TaskCompletionSource Gate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task Stopping_during_the_send_before_an_async_call_waits_for_the_call_and_reports_its_failure()
    {
        var callStarted = Gate();
        var release = Gate();
        var callEnded = false;

        // Two-item transfers and a one-transfer output buffer that nobody reads: items 0 and 1 fill the
        // buffer, item 2 waits in the worker's outbox, and item 3's call is in flight while the worker
        // tries to send item 2 before waiting for it. Stopping the run then fails that send.
        var run = Pipeline.From(Enumerable.Range(0, 10), new PipelineOptions { TransferBatchSize = 2, OutputCapacity = 2 })
            .Map(async (int x, CancellationToken ct) =>
            {
                if (x < 3)
                {
                    return x;
                }

                try
                {
                    callStarted.SetResult();
                    try
                    {
                        await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    await release.Task; // Winding down takes a while, and fails.
                    throw new InvalidOperationException("failed while winding down");
                }
                finally
                {
                    callEnded = true;
                }
            })
            .Start();
        await callStarted.Task.WaitAsync(TestSupport.HangGuard);

        var disposal = run.DisposeAsync().AsTask();
        Assert.False(disposal.IsCompleted, "disposal returned while the call was still running");
        release.SetResult();
        var error = await Assert.ThrowsAsync<PipelineException>(() => disposal.WaitAsync(TestSupport.HangGuard));

        Assert.True(callEnded);
        Assert.Equal("failed while winding down", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(1, run.GetStatistics().Stages[1].ItemsFailed);
        TestSupport.AssertStopped(run.GetStatistics());
    }
}
