using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Braid.Channels;

namespace Braid.Benchmarks.Channels;

/// <summary>
/// One put and one get on the same thread, nobody waiting: the uncontended path, which must allocate
/// nothing. Bounded <see cref="Channel{T}"/> is the baseline.
/// </summary>
[MemoryDiagnoser]
public class QueueUncontendedBenchmarks
{
    private readonly Channel<int> _channel = Channel.CreateBounded<int>(1_024);
    private readonly AsyncQueue<int> _queue = new(1_024);
    private readonly AsyncPriorityQueue<int, int> _priority = new(1_024);
    private readonly (MemorySendChannel<int> Send, MemoryReceiveChannel<int> Receive) _memory = MemoryChannel.Create<int>(1_024);

    [Benchmark(Baseline = true)]
    public async ValueTask<int> Channel_WriteRead()
    {
        await _channel.Writer.WriteAsync(1);
        return await _channel.Reader.ReadAsync();
    }

    [Benchmark]
    public async ValueTask<int> AsyncQueue_PutGet()
    {
        await _queue.PutAsync(1);
        return await _queue.GetAsync();
    }

    [Benchmark]
    public async ValueTask<int> AsyncQueue_PutGetTaskDone()
    {
        await _queue.PutAsync(1);
        var item = await _queue.GetAsync();
        _queue.TaskDone();
        return item;
    }

    [Benchmark]
    public async ValueTask<int> AsyncPriorityQueue_PutGet()
    {
        await _priority.PutAsync(1, 1);
        return await _priority.GetAsync();
    }

    [Benchmark]
    public async ValueTask<int> MemoryChannel_SendReceive()
    {
        await _memory.Send.SendAsync(1);
        return await _memory.Receive.ReceiveAsync();
    }
}
