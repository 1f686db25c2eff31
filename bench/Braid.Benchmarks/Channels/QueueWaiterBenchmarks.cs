using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Braid.Channels;

namespace Braid.Benchmarks.Channels;

/// <summary>
/// The cost of one queued waiter: a get that finds the queue empty and waits, then a put that hands
/// it an item (on one thread, so the figure is the waiter's own cost, not a thread hop). With a
/// cancellable token the registration is included. Bounded <see cref="Channel{T}"/> is the baseline.
/// </summary>
[MemoryDiagnoser]
public class QueueWaiterBenchmarks
{
    private readonly Channel<int> _channel = Channel.CreateBounded<int>(1_024);
    private readonly AsyncQueue<int> _queue = new(1_024);
    private readonly (MemorySendChannel<int> Send, MemoryReceiveChannel<int> Receive) _memory = MemoryChannel.Create<int>(1_024);
    private readonly CancellationTokenSource _cts = new();

    [Benchmark(Baseline = true)]
    public async ValueTask<int> Channel_QueuedReader()
    {
        var read = _channel.Reader.ReadAsync();
        _channel.Writer.TryWrite(1);
        return await read;
    }

    [Benchmark]
    public async ValueTask<int> AsyncQueue_QueuedGetter()
    {
        var get = _queue.GetAsync();
        _queue.TryPut(1);
        return await get;
    }

    [Benchmark]
    public async ValueTask<int> MemoryChannel_QueuedReceiver()
    {
        var receive = _memory.Receive.ReceiveAsync();
        _memory.Send.TrySend(1);
        return await receive;
    }

    [Benchmark]
    public async ValueTask<int> Channel_QueuedReader_WithToken()
    {
        var read = _channel.Reader.ReadAsync(_cts.Token);
        _channel.Writer.TryWrite(1);
        return await read;
    }

    [Benchmark]
    public async ValueTask<int> AsyncQueue_QueuedGetter_WithToken()
    {
        var get = _queue.GetAsync(_cts.Token);
        _queue.TryPut(1);
        return await get;
    }
}
