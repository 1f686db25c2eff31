namespace Braid.Testing.Tests;

public sealed class YieldAssertTests
{
    [Fact]
    public void Yields_passes_for_a_call_that_suspends_and_fails_for_one_that_does_not() => LoopTest.Run(async _ =>
    {
        await YieldAssert.YieldsAsync(async Task () => await Task.Yield());
        var ex = await Assert.ThrowsAsync<YieldAssertionException>(() => YieldAssert.YieldsAsync(() => Task.CompletedTask));
        Assert.Contains("completed synchronously", ex.Message, StringComparison.Ordinal);
    });

    [Fact]
    public void DoesNotYield_passes_for_a_synchronous_call_and_fails_for_one_that_suspends() => LoopTest.Run(async clock =>
    {
        using var semaphore = new SemaphoreSlim(1);
        await YieldAssert.DoesNotYieldAsync(() => semaphore.WaitAsync()); // uncontended: synchronous
        var contended = semaphore.WaitAsync();
        await Assert.ThrowsAsync<YieldAssertionException>(() => YieldAssert.DoesNotYieldAsync(() => Task.Delay(TimeSpan.FromSeconds(1), clock)));
        semaphore.Release();
        await contended;
    });

    [Fact]
    public void The_calls_own_exception_passes_through() => LoopTest.Run(async _ =>
    {
        await Assert.ThrowsAsync<FormatException>(() => YieldAssert.DoesNotYieldAsync(() => Task.FromException(new FormatException())));
        await Assert.ThrowsAsync<FormatException>(() => YieldAssert.YieldsAsync(async Task () =>
        {
            await Task.Yield();
            throw new FormatException();
        }));
        await YieldAssert.DoesNotYieldAsync(() => ValueTask.CompletedTask.AsTask());
    });

    [Fact]
    public async Task Outside_a_loop_the_assertions_refuse_to_guess()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => YieldAssert.YieldsAsync(async Task () => await Task.Yield()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => YieldAssert.DoesNotYieldAsync(() => Task.CompletedTask));
    }
}
