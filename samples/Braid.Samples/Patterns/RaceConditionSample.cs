using System.Globalization;
using Braid.Coordination;

namespace Braid.Samples.Patterns;

/// <summary>
/// Ten workers add to one shared total, with threads and with tasks, with and without a lock. Each
/// increment reads the total, pauses (a spin or a yield, standing in for real work), then writes it back:
/// without a lock the pauses let other workers overwrite each other, and the lost updates are printed.
/// </summary>
public sealed class RaceConditionSample : ISample
{
    private const int Workers = 10;
    private const int Increments = 1_000;

    /// <inheritdoc />
    public string Name => "race-condition";

    /// <inheritdoc />
    public string Description => "Ten workers increment a shared total with and without a lock, with threads and tasks; prints the lost updates.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        const int Expected = Workers * Increments;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{Workers} workers x {Increments:N0} increments = {Expected:N0} expected"));

        var results = new (string Name, long Total)[]
        {
            ("threads, no lock", RunThreads(useLock: false)),
            ("threads, lock", RunThreads(useLock: true)),
            ("tasks, no lock", await RunTasksAsync(useLock: false, cancellationToken)),
            ("tasks, AsyncLock", await RunTasksAsync(useLock: true, cancellationToken)),
        };

        foreach (var (name, total) in results)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {name,-18} total {total,7:N0}   lost {Expected - total,7:N0}"));
        }

        var lockedOk = results[1].Total == Expected && results[3].Total == Expected;
        await output.WriteLineAsync(lockedOk
            ? "With a lock nothing is lost; without one, read-pause-write loses updates."
            : "ERROR: a locked run lost updates.");
        return lockedOk ? 0 : 1;
    }

    private static long RunThreads(bool useLock)
    {
        long total = 0;
        var gate = new Lock();
        var threads = Enumerable.Range(0, Workers).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < Increments; i++)
            {
                if (useLock)
                {
                    lock (gate)
                    {
                        Increment(ref total);
                    }
                }
                else
                {
                    Increment(ref total);
                }
            }
        })).ToList();

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return total;

        static void Increment(ref long total)
        {
            var read = total;
            Thread.SpinWait(200); // the "work" between the read and the write
            total = read + 1;
        }
    }

    private static async Task<long> RunTasksAsync(bool useLock, CancellationToken cancellationToken)
    {
        var total = new StrongBox<long>();
        var gate = new AsyncLock();
        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < Increments; i++)
            {
                if (useLock)
                {
                    using (await gate.LockAsync(cancellationToken))
                    {
                        await IncrementAsync(total);
                    }
                }
                else
                {
                    await IncrementAsync(total);
                }
            }
        }, cancellationToken));

        await Task.WhenAll(workers);
        return total.Value;

        static async Task IncrementAsync(StrongBox<long> total)
        {
            var read = total.Value;
            await Task.Yield(); // an await between the read and the write: other tasks run here
            total.Value = read + 1;
        }
    }

    private sealed class StrongBox<T>
    {
        public T? Value { get; set; }
    }
}
