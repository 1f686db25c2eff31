using Braid.Channels;

namespace Braid.Samples.Patterns;

/// <summary>
/// A producer and a consumer over a bounded <see cref="AsyncQueue{T}"/> with join, then two cloned
/// senders over a rendezvous memory channel whose <c>await foreach</c> ends when both have closed.
/// </summary>
public sealed class ProducerConsumerSample : ISample
{
    /// <inheritdoc />
    public string Name => "producer-consumer";

    /// <inheritdoc />
    public string Description => "A bounded AsyncQueue with join and shutdown; a memory channel with cloned senders that ends cleanly.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        // A bounded queue: the producer waits while two jobs are pending; join waits for TaskDone.
        var queue = new AsyncQueue<string>(capacity: 2);
        var done = new List<string>();
        var consumer = Task.Run(
            async () =>
            {
                while (true)
                {
                    string job;
                    try
                    {
                        job = await queue.GetAsync(cancellationToken);
                    }
                    catch (QueueShutDownException)
                    {
                        return;
                    }

                    done.Add(job);
                    queue.TaskDone();
                }
            },
            cancellationToken);

        foreach (var job in new[] { "a", "b", "c", "d", "e" })
        {
            await queue.PutAsync(job, cancellationToken);
        }

        await queue.JoinAsync(cancellationToken);
        queue.Shutdown();
        await consumer;
        var stats = queue.GetStatistics();
        await output.WriteLineAsync($"queue: done {string.Join(" ", done)}; put {stats.TotalPut}, peak {stats.PeakCount} of {stats.Capacity}, unfinished {stats.UnfinishedTasks}");

        // A rendezvous channel: each send completes only when the receiver takes the item.
        var (send, receive) = MemoryChannel.Create<int>(0);
        async Task ProduceAsync(MemorySendChannel<int> mine, int first)
        {
            using (mine)
            {
                for (var i = 0; i < 3; i++)
                {
                    await mine.SendAsync(first + i, cancellationToken);
                }
            }
        }

        var producers = Task.WhenAll(ProduceAsync(send.Clone(), 100), ProduceAsync(send.Clone(), 200));
        send.Close(); // the clones keep the send side open
        var received = new List<int>();
        await foreach (var item in receive.WithCancellation(cancellationToken))
        {
            received.Add(item);
        }

        await producers;
        await output.WriteLineAsync($"channel: received {string.Join(" ", received.Order())}; the loop ended when both senders closed");

        receive.Close();
        var (lonely, gone) = MemoryChannel.Create<int>(1);
        gone.Close();
        try
        {
            await lonely.SendAsync(1, cancellationToken);
        }
        catch (BrokenResourceException error)
        {
            await output.WriteLineAsync($"channel: send after every receiver closed -> {nameof(BrokenResourceException)}: {error.Message}");
        }

        return 0;
    }
}
