namespace Braid.Testing;

/// <summary>
/// Assertions that an async call did or did not yield (Trio's <c>assert_checkpoints</c> and
/// <c>assert_no_checkpoints</c>): a call yields when the task it returns is not already complete, so
/// its caller is suspended and other tasks get to run.
/// </summary>
/// <remarks>
/// Use them to pin the fast path of a primitive (an uncontended acquire must not yield) and the
/// fairness of a loop (a long computation must yield somewhere). The call's own outcome (result or
/// exception) is awaited and passed through after the check.
/// They must run on an <see cref="Braid.Loop.AsyncLoop"/> (inside <see cref="LoopTest.Run(Func{Braid.Time.VirtualClock, Task}, Braid.Loop.AsyncLoopOptions?)"/>):
/// on the thread pool a continuation can finish the call on another thread before the check, so the
/// answer would be a race; on a loop, nothing else runs until the current step ends. For a <see cref="ValueTask"/>, pass
/// <c>() =&gt; call().AsTask()</c>: a value task that completed synchronously becomes a completed task.
/// </remarks>
public static class YieldAssert
{
    /// <summary>Calls <paramref name="operation"/> and fails if the task it returns is already complete.</summary>
    /// <param name="operation">The call under test.</param>
    /// <returns>A task that completes after the call's task, with its outcome.</returns>
    /// <exception cref="YieldAssertionException">The call completed synchronously.</exception>
    /// <exception cref="InvalidOperationException">Not called on an <see cref="Braid.Loop.AsyncLoop"/>.</exception>
    public static async Task YieldsAsync(Func<Task> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        RequireLoop();
        var task = operation();
        if (task.IsCompleted)
        {
            await task.ConfigureAwait(true);
            throw new YieldAssertionException("Expected the call to yield, but it completed synchronously.");
        }

        await task.ConfigureAwait(true);
    }

    /// <summary>Calls <paramref name="operation"/> and fails unless the task it returns is already complete.</summary>
    /// <param name="operation">The call under test.</param>
    /// <returns>A task that completes after the call's task, with its outcome.</returns>
    /// <exception cref="YieldAssertionException">The call yielded.</exception>
    /// <exception cref="InvalidOperationException">Not called on an <see cref="Braid.Loop.AsyncLoop"/>.</exception>
    public static async Task DoesNotYieldAsync(Func<Task> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        RequireLoop();
        var task = operation();
        if (!task.IsCompleted)
        {
            try
            {
                await task.ConfigureAwait(true);
            }
#pragma warning disable CA1031 // The yield is the failure being reported; the call's own outcome is attached.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                throw new YieldAssertionException("Expected the call to complete synchronously, but it yielded.", ex);
            }

            throw new YieldAssertionException("Expected the call to complete synchronously, but it yielded.");
        }

        await task.ConfigureAwait(true);
    }

    private static void RequireLoop()
    {
        if (Braid.Loop.AsyncLoop.Current is null)
        {
            throw new InvalidOperationException("YieldAssert must run on an AsyncLoop (inside LoopTest.Run): elsewhere whether a call yielded is a race.");
        }
    }
}
