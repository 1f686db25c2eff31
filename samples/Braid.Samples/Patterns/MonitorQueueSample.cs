using Braid.Coordination;

namespace Braid.Samples.Patterns;

/// <summary>
/// The monitor object pattern: a bounded buffer guarded by one <see cref="AsyncLock"/> with two
/// <see cref="AsyncCondition"/>s (not full, not empty). Producers wait while it is full, the consumer while
/// it is empty. Every line is written under the monitor's lock, so the log is the true order of events;
/// the summary checks that nothing was lost or duplicated and that each producer's items came out in order.
/// </summary>
public sealed class MonitorQueueSample : ISample
{
    private const int Capacity = 3;
    private const int Producers = 2;
    private const int PerProducer = 5;

    /// <inheritdoc />
    public string Name => "monitor-queue";

    /// <inheritdoc />
    public string Description => "A bounded producer/consumer queue on AsyncLock + AsyncCondition (the monitor object pattern).";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var log = new List<string>();
        var queue = new MonitorQueue(Capacity, log.Add);
        var received = new List<string>();

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var name = ((char)('A' + p)).ToString();
            for (var i = 1; i <= PerProducer; i++)
            {
                await queue.PutAsync($"producer {name}", $"{name}{i}", cancellationToken);
            }
        }, cancellationToken)).ToArray();

        var consumer = Task.Run(async () =>
        {
            for (var i = 0; i < Producers * PerProducer; i++)
            {
                received.Add(await queue.TakeAsync("consumer", cancellationToken));
            }
        }, cancellationToken);

        await Task.WhenAll([.. producers, consumer]);
        foreach (var line in log)
        {
            await output.WriteLineAsync(line);
        }

        var inOrder = Enumerable.Range(0, Producers).All(p =>
        {
            var prefix = ((char)('A' + p)).ToString();
            var mine = received.Where(item => item.StartsWith(prefix, StringComparison.Ordinal));
            return mine.SequenceEqual(Enumerable.Range(1, PerProducer).Select(i => $"{prefix}{i}"));
        });
        var ok = inOrder && received.Count == Producers * PerProducer && received.Distinct().Count() == received.Count && queue.PeakCount <= Capacity;
        await output.WriteLineAsync(
            $"{Producers * PerProducer} put, {received.Count} taken, {received.Distinct().Count()} distinct; " +
            $"each producer's items in order: {(inOrder ? "yes" : "NO")}; peak fill {queue.PeakCount}/{Capacity}; " +
            $"producers waited {queue.ProducerWaits} times for space, the consumer {queue.ConsumerWaits} times for items");
        return ok ? 0 : 1;
    }

    /// <summary>The monitor: every method takes the lock; a condition wait releases it while blocked.</summary>
    private sealed class MonitorQueue
    {
        private readonly int _capacity;
        private readonly Action<string> _log;
        private readonly Queue<string> _items = new();
        private readonly AsyncLock _lock = new();
        private readonly AsyncCondition _notFull;
        private readonly AsyncCondition _notEmpty;

        public MonitorQueue(int capacity, Action<string> log)
        {
            _capacity = capacity;
            _log = log;
            _notFull = new AsyncCondition(_lock);
            _notEmpty = new AsyncCondition(_lock);
        }

        public int PeakCount { get; private set; }

        public int ProducerWaits { get; private set; }

        public int ConsumerWaits { get; private set; }

        public async Task PutAsync(string who, string item, CancellationToken cancellationToken)
        {
            using (await _lock.LockAsync(cancellationToken))
            {
                while (_items.Count >= _capacity)
                {
                    ProducerWaits++;
                    _log($"  {who,-10} {"waits: full",-12} [{Contents()}]");
                    await _notFull.WaitAsync(cancellationToken); // releases the lock while waiting
                }

                _items.Enqueue(item);
                PeakCount = Math.Max(PeakCount, _items.Count);
                _log($"  {who,-10} {"puts " + item,-12} [{Contents()}]");
                _notEmpty.Notify();
            }
        }

        public async Task<string> TakeAsync(string who, CancellationToken cancellationToken)
        {
            using (await _lock.LockAsync(cancellationToken))
            {
                while (_items.Count == 0)
                {
                    ConsumerWaits++;
                    _log($"  {who,-10} {"waits: empty",-12} [{Contents()}]");
                    await _notEmpty.WaitAsync(cancellationToken);
                }

                var item = _items.Dequeue();
                _log($"  {who,-10} {"takes " + item,-12} [{Contents()}]");
                _notFull.Notify();
                return item;
            }
        }

        private string Contents() => string.Join(" ", _items).PadRight((_capacity * 3) - 1);
    }
}
