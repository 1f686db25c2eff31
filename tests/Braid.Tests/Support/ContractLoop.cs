using Braid.Testing;
using Braid.Time;

namespace Braid.Tests.Support;

/// <summary>
/// Runs a contract test's body either as it is, or on an <see cref="Braid.Loop.AsyncLoop"/> with an autojumping
/// <see cref="VirtualClock"/>: every contract suite (locks, signals, queues, channels) runs both ways. On the loop
/// a timer an hour ahead is armed for the whole body; the body must finish with no virtual time passed, so a
/// hand-off the loop could not see (rule 36) shows up as an autojump to that timer.
/// </summary>
internal static class ContractLoop
{
    /// <summary>Runs <paramref name="body"/> off a loop, or on one when <paramref name="onLoop"/>.</summary>
    /// <param name="onLoop">Whether to run on a loop with an autojumping clock.</param>
    /// <param name="body">The test body.</param>
    /// <param name="usesThreads">
    /// The body waits for work on other threads (a stress test on <c>Task.Run</c> workers), which the loop rightly
    /// cannot see: no timer is armed then, so autojump has nothing to jump to, and no time assertion is made.
    /// </param>
    public static Task RunAsync(bool onLoop, Func<Task> body, bool usesThreads = false)
    {
        if (!onLoop)
        {
            return body();
        }

        LoopTest.Run(async clock =>
        {
            if (usesThreads)
            {
                await body();
                return;
            }

            using var tripwire = new CancellationTokenSource();
            var tripped = TripAsync(clock, tripwire.Token);
            await body();
            Assert.True(
                clock.Elapsed == TimeSpan.Zero,
                $"Virtual time moved by {clock.Elapsed} during the test: the loop looked idle while a hand-off was pending.");
#pragma warning disable VSTHRD103 // Cancel, not CancelAsync: CancelAsync runs callbacks where the loop cannot see them.
            tripwire.Cancel();
#pragma warning restore VSTHRD103
            Assert.False(await tripped);
        });
        return Task.CompletedTask;
    }

    /// <summary>
    /// Cancels <paramref name="source"/>: synchronously on a loop (its callbacks then post their wakes from this step,
    /// where the loop sees them), with <see cref="CancellationTokenSource.CancelAsync"/> off a loop.
    /// </summary>
    public static Task CancelAsync(bool onLoop, CancellationTokenSource source)
    {
        if (!onLoop)
        {
            return source.CancelAsync();
        }

        source.Cancel();
        return Task.CompletedTask;
    }

    /// <summary>Waits an hour of virtual time unless cancelled: true if it ran out (time moved), false if cancelled.</summary>
    public static async Task<bool> TripAsync(VirtualClock clock, CancellationToken cancellationToken)
    {
        try
        {
            await clock.DelayAsync(TimeSpan.FromHours(1), cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
