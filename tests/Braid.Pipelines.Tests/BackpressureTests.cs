using Braid.Tests.Shared;
namespace Braid.Pipelines.Tests;

public sealed class BackpressureTests
{
    [Theory]
    [InlineData(4, 8, 8, 8, 2, 3, true)]
    [InlineData(1, 1, 1, 1, 1, 1, true)]
    [InlineData(16, 64, 32, 16, 4, 1, false)]
    [InlineData(3, 10, 7, 5, 2, 2, true)]
    public async Task Items_in_flight_stay_within_the_buffers_workers_and_batches(int batch, int capacity1, int capacity2, int outputCapacity, int workers1, int workers2, bool ordered)
    {
        const int total = 3000;

        // The bound, from the configuration: each buffer, each worker's
        // chunk being processed plus its output transfer (plus, in an ordered stage with several workers,
        // one output transfer deposited for its turn), the chunks a multi-worker stage has split off
        // for workers about to ask (less than one transfer), the source's pending transfer and the one
        // the consumer is reading from.
        // A buffer admits a transfer while it holds fewer than its capacity: at most capacity + size - 1 (rule 63).
        static long Buffer(int capacity, int size) => capacity + size - 1L;
        long Workers(int workers, int input, int output) =>
            (workers * (long)(input + output + (ordered && workers > 1 ? output : 0))) + (workers > 1 ? input : 0);
        var in1 = Math.Min(capacity1, batch);
        var in2 = Math.Min(capacity2, batch);
        var output = Math.Min(outputCapacity, batch);
        var bound = in1 + Buffer(capacity1, in1) + Workers(workers1, in1, in2) + Buffer(capacity2, in2) + Workers(workers2, in2, output) + Buffer(outputCapacity, output) + output;

        long produced = 0;
        long consumed = 0;
        long peak = 0;
        var filled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        IEnumerable<int> Source()
        {
            for (var i = 0; i < total; i++)
            {
                var inFlight = Interlocked.Increment(ref produced) - Interlocked.Read(ref consumed);
                InterlockedMax.Raise(ref peak, inFlight);

                // Enough to fill the output buffer: from here on the consumer may go.
                if (inFlight > outputCapacity)
                {
                    filled.TrySetResult();
                }

                yield return i;
            }

            filled.TrySetResult();
        }

        var options = new PipelineOptions { TransferBatchSize = batch, OutputCapacity = outputCapacity };
        var seen = new List<int>();
        await Pipeline.From(Source(), options)
            .Map(x => x, new StageOptions { Workers = workers1, Capacity = capacity1, Ordered = ordered })
            .Map(async (x, ct) =>
            {
                if (x % 3 == 0)
                {
                    await Task.Yield();
                }

                return x;
            }, new StageOptions { Workers = workers2, Capacity = capacity2, Ordered = ordered })
            .RunAsync(async (x, ct) =>
            {
                // The sink is gated until the pipeline has filled up, then stays slower than the source.
                await filled.Task.WaitAsync(ct);
                await Task.Yield();
                seen.Add(x);
                Interlocked.Increment(ref consumed);
            }).WaitAsync(TestSupport.HangGuard);

        Assert.Equal(total, seen.Count);
        Assert.InRange(Interlocked.Read(ref peak), outputCapacity + 1, bound);
    }

    [Fact]
    public async Task A_flat_map_that_explodes_respects_its_output_buffer()
    {
        long produced = 0;
        long consumed = 0;
        long peak = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        IEnumerable<int> Explode(int x)
        {
            for (var i = 0; i < 10_000; i++)
            {
                var inFlight = Interlocked.Increment(ref produced) - Interlocked.Read(ref consumed);
                InterlockedMax.Raise(ref peak, inFlight);
                if (inFlight > 16)
                {
                    gate.TrySetResult();
                }

                yield return i;
            }
        }

        var options = new PipelineOptions { TransferBatchSize = 8, OutputCapacity = 16 };
        await Pipeline.From(new[] { 1, 2 }, options)
            .FlatMap(Explode, new StageOptions { Workers = 2 })
            .RunAsync(async (x, ct) =>
            {
                await gate.Task.WaitAsync(ct);
                Interlocked.Increment(ref consumed);
            }).WaitAsync(TestSupport.HangGuard);

        // Two workers, each with one 8-item output transfer, the 16-item buffer and the consumer's transfer.
        Assert.InRange(Interlocked.Read(ref peak), 17, (2 * 8) + 16 + 8);
        Assert.Equal(20_000, Interlocked.Read(ref consumed));
    }
}
