using Braid.Coordination;
using Braid.Tests.Support;

namespace Braid.Tests.Coordination;

/// <summary>
/// The contract of every "wait until signalled" primitive, run once per variant: a wait pends until the
/// signal, a signalled primitive lets a wait complete synchronously, a cancelled wait leaves the queue
/// and changes nothing, and a signal after a cancellation still reaches the remaining waiter.
/// </summary>
public abstract class SignalContractTests
{
    /// <summary>Whether this variant runs every test on an <c>AsyncLoop</c> with an autojumping clock (rule 36).</summary>
    protected virtual bool OnLoop => false;

    private Task RunContract(Func<Task> body, bool usesThreads = false) => ContractLoop.RunAsync(OnLoop, body, usesThreads);

    private Task CancelAsync(CancellationTokenSource source) => ContractLoop.CancelAsync(OnLoop, source);

    protected abstract ValueTask WaitAsync(CancellationToken cancellationToken);

    protected abstract void Signal();

    protected abstract int WaitingCount { get; }

    protected abstract long Cancellations { get; }

    [Fact]
    public Task A_wait_pends_until_the_signal() => RunContract(async () =>
    {
        var wait = WaitAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);
        Assert.Equal(1, WaitingCount);
        Signal();
        await wait;
        Assert.Equal(0, WaitingCount);
    });

    [Fact]
    public Task A_signal_before_the_wait_completes_it_synchronously() => RunContract(async () =>
    {
        Signal();
        var wait = WaitAsync(CancellationToken.None);
        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    });

    [Fact]
    public Task A_cancelled_wait_leaves_the_queue_and_the_next_waiter_still_gets_the_signal() => RunContract(async () =>
    {
        using var cts = new CancellationTokenSource();
        var cancelled = WaitAsync(cts.Token).AsTask();
        var next = WaitAsync(CancellationToken.None).AsTask();
        Assert.Equal(2, WaitingCount);
        await CancelAsync(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, WaitingCount);
        Assert.Equal(1, Cancellations);
        Signal();
        await next;
    });

    [Fact]
    public Task An_already_cancelled_token_fails_at_once_without_queuing() => RunContract(async () =>
    {
        using var cts = new CancellationTokenSource();
        await CancelAsync(cts);
        var wait = WaitAsync(cts.Token);
        Assert.True(wait.IsCanceled);
        Assert.Equal(0, WaitingCount);
        Assert.Equal(0, Cancellations);
    });
}

public class AsyncEventSignalContractTests : SignalContractTests
{
    private readonly AsyncEvent _event = new();

    protected override int WaitingCount => _event.GetStatistics().WaitingCount;

    protected override long Cancellations => _event.GetStatistics().Cancellations;

    protected override ValueTask WaitAsync(CancellationToken cancellationToken) => _event.WaitAsync(cancellationToken);

    protected override void Signal() => _event.Set();
}

public class AsyncAutoResetEventSignalContractTests : SignalContractTests
{
    private readonly AsyncAutoResetEvent _event = new();

    protected override int WaitingCount => _event.GetStatistics().WaitingCount;

    protected override long Cancellations => _event.GetStatistics().Cancellations;

    protected override ValueTask WaitAsync(CancellationToken cancellationToken) => _event.WaitAsync(cancellationToken);

    protected override void Signal() => _event.Set();
}

public class AsyncCountdownEventSignalContractTests : SignalContractTests
{
    private readonly AsyncCountdownEvent _countdown = new(1);

    protected override int WaitingCount => _countdown.GetStatistics().WaitingCount;

    protected override long Cancellations => _countdown.GetStatistics().Cancellations;

    protected override ValueTask WaitAsync(CancellationToken cancellationToken) => _countdown.WaitAsync(cancellationToken);

    protected override void Signal() => _countdown.Signal();
}

public class AsyncSemaphoreOfZeroSignalContractTests : SignalContractTests
{
    private readonly AsyncSemaphore _semaphore = new(0);

    protected override int WaitingCount => _semaphore.GetStatistics().WaitingCount;

    protected override long Cancellations => _semaphore.GetStatistics().Cancellations;

    protected override ValueTask WaitAsync(CancellationToken cancellationToken) => _semaphore.WaitAsync(cancellationToken);

    protected override void Signal() => _semaphore.Release();
}

public class CapacityLimiterOfZeroSignalContractTests : SignalContractTests
{
    private readonly CapacityLimiter _limiter = new(0);

    protected override int WaitingCount => _limiter.GetStatistics().WaitingCount;

    protected override long Cancellations => _limiter.GetStatistics().Cancellations;

    protected override async ValueTask WaitAsync(CancellationToken cancellationToken) => await _limiter.AcquireAsync(cancellationToken);

    protected override void Signal() => _limiter.TotalTokens++;
}

public sealed class AsyncEventSignalContractOnLoopTests : AsyncEventSignalContractTests
{
    protected override bool OnLoop => true;
}

public sealed class AsyncAutoResetEventSignalContractOnLoopTests : AsyncAutoResetEventSignalContractTests
{
    protected override bool OnLoop => true;
}

public sealed class AsyncCountdownEventSignalContractOnLoopTests : AsyncCountdownEventSignalContractTests
{
    protected override bool OnLoop => true;
}

public sealed class AsyncSemaphoreOfZeroSignalContractOnLoopTests : AsyncSemaphoreOfZeroSignalContractTests
{
    protected override bool OnLoop => true;
}

public sealed class CapacityLimiterOfZeroSignalContractOnLoopTests : CapacityLimiterOfZeroSignalContractTests
{
    protected override bool OnLoop => true;
}
