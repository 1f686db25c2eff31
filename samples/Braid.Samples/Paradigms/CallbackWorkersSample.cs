namespace Braid.Samples.Paradigms;

/// <summary>
/// The oldest asynchronous style: start work on worker threads and pass a callback that each worker
/// calls when it is done. The callbacks run on the workers' threads, in the order the work finishes,
/// not the order it started — the caller has to collect the results and know when all are in.
/// </summary>
public sealed class CallbackWorkersSample : ISample
{
    /// <inheritdoc />
    public string Name => "callback-workers";

    /// <inheritdoc />
    public string Description => "Worker threads count primes and call back when done; results arrive out of order.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        // Different sizes, so the workers finish in a different order than they started.
        int[] limits = [3_000_000, 10_000, 1_000_000, 100_000];
        var results = new int[limits.Length];
        var finishOrder = new List<int>();
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = limits.Length;

        for (var i = 0; i < limits.Length; i++)
        {
            var index = i;
            StartWorker(limits[i], onDone: count =>
            {
                // Runs on the worker's thread: shared state needs a lock.
                lock (finishOrder)
                {
                    results[index] = count;
                    finishOrder.Add(index);
                    output.WriteLine($"  callback: worker {index} (primes below {limits[index]:N0}) found {count:N0} on thread {Environment.CurrentManagedThreadId}");
                }

                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    allDone.SetResult();
                }
            });
        }

        await output.WriteLineAsync($"started {limits.Length} workers; the main flow goes on without waiting");
        await allDone.Task.WaitAsync(cancellationToken);
        await output.WriteLineAsync($"all done; started in order 0,1,2,3, finished in order {string.Join(",", finishOrder)}");
        return 0;
    }

    private static void StartWorker(int limit, Action<int> onDone)
    {
        var thread = new Thread(() => onDone(CountPrimes(limit))) { IsBackground = true, Name = $"worker-{limit}" };
        thread.Start();
    }

    private static int CountPrimes(int limit)
    {
        var composite = new bool[limit];
        var count = 0;
        for (var n = 2; n < limit; n++)
        {
            if (composite[n])
            {
                continue;
            }

            count++;
            for (var m = (long)n * n; m < limit; m += n)
            {
                composite[m] = true;
            }
        }

        return count;
    }
}
