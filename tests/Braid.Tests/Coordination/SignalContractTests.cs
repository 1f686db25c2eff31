using Braid.Coordination;

namespace Braid.Tests.Coordination;

/// <summary>
/// The contract of every "wait until signalled" primitive, run once per variant: a wait pends until the
/// signal, a signalled primitive lets a wait complete synchronously, a cancelled wait leaves the queue
/// and changes nothing, and a signal after a cancellation still reaches the remaining waiter.
/// </summary>
public abstract class SignalContractTests
{
    protected abstract ValueTask WaitAsync(CancellationToken cancellationToken);

    protected abstract void Signal();

    protected abstract int WaitingCount { get; }

    protected abstract long Cancellations { get; }

    [Fact]
    public async Task A_wait_pends_until_the_signal()
    {
        var wait = WaitAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);
        Assert.Equal(1, WaitingCount);
        Signal();
        await wait;
        Assert.Equal(0, WaitingCount);
    }

    [Fact]
    public async Task A_signal_before_the_wait_completes_it_synchronously()
    {
        Signal();
        var wait = WaitAsync(CancellationToken.None);
        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_the_queue_and_the_next_waiter_still_gets_the_signal()
    {
        using var cts = new CancellationTokenSource();
        var cancelled = WaitAsync(cts.Token).AsTask();
        var next = WaitAsync(CancellationToken.None).AsTask();
        Assert.Equal(2, WaitingCount);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, WaitingCount);
        Assert.Equal(1, Cancellations);
        Signal();
        await next;
    }

    [Fact]
    public async Task An_already_cancelled_token_fails_at_once_without_queuing()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var wait = WaitAsync(cts.Token);
        Assert.True(wait.IsCanceled);
        Assert.Equal(0, WaitingCount);
        Assert.Equal(0, Cancellations);
    }
}

public sealed class AsyncEventSignalContractTests : SignalContractTests
{
    private readonly AsyncEvent _event = new();

    protected override int WaitingCount => _event.GetStatistics().WaitingCount;

    protected override long Cancellations => _event.GetStatistics().Cancellations;

    protected override ValueTask WaitAsync(CancellationToken cancellationToken) => _event.WaitAsync(cancellationToken);

    protected override void Signal() => _event.Set();
}

public sealed class AsyncAutoResetEventSignalContractTests : SignalContractTests
{
    private readonly AsyncAutoResetEvent _event = new();

    protected override int WaitingCount => _event.GetStatistics().WaitingCount;

    protected override long Cancellations => _event.GetStatistics().Cancellations;

    protected override ValueTask WaitAsync(CancellationToken cancellationToken) => _event.WaitAsync(cancellationToken);

    protected override void Signal() => _event.Set();
}

public sealed class AsyncCountdownEventSignalContractTests : SignalContractTests
{
    private readonly AsyncCountdownEvent _countdown = new(1);

    protected override int WaitingCount => _countdown.GetStatistics().WaitingCount;

    protected override long Cancellations => _countdown.GetStatistics().Cancellations;

    protected override ValueTask WaitAsync(CancellationToken cancellationToken) => _countdown.WaitAsync(cancellationToken);

    protected override void Signal() => _countdown.Signal();
}

public sealed class AsyncSemaphoreOfZeroSignalContractTests : SignalContractTests
{
    private readonly AsyncSemaphore _semaphore = new(0);

    protected override int WaitingCount => _semaphore.GetStatistics().WaitingCount;

    protected override long Cancellations => _semaphore.GetStatistics().Cancellations;

    protected override ValueTask WaitAsync(CancellationToken cancellationToken) => _semaphore.WaitAsync(cancellationToken);

    protected override void Signal() => _semaphore.Release();
}

public sealed class CapacityLimiterOfZeroSignalContractTests : SignalContractTests
{
    private readonly CapacityLimiter _limiter = new(0);

    protected override int WaitingCount => _limiter.GetStatistics().WaitingCount;

    protected override long Cancellations => _limiter.GetStatistics().Cancellations;

    protected override async ValueTask WaitAsync(CancellationToken cancellationToken) => await _limiter.AcquireAsync(cancellationToken);

    protected override void Signal() => _limiter.TotalTokens++;
}
