using Braid.Coordination;

namespace Braid.Samples.Patterns;

/// <summary>
/// Scripts readers and writers against <see cref="AsyncReaderWriterLock"/> in both modes and prints who
/// enters when: writers are preferred by default (late readers queue behind a waiting writer), and the
/// fair mode serves in arrival order. Every line is computed from the lock's real state, never assumed.
/// </summary>
public sealed class ReaderWriterSample : ISample
{
    /// <inheritdoc />
    public string Name => "reader-writer";

    /// <inheritdoc />
    public string Description => "Readers and writers on AsyncReaderWriterLock: writer preference, then the fair mode, step by step.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync("Writer-preferring (the default): a waiting writer holds back later readers.");
        var script = new Script(new AsyncReaderWriterLock(), output, cancellationToken);
        await script.ArriveAsync("R1");
        await script.ArriveAsync("W1");
        await script.ArriveAsync("R2");
        await script.ArriveAsync("R3");
        await script.LeaveAsync("R1");
        await script.ArriveAsync("W2");
        await script.LeaveAsync("W1");
        await script.LeaveAsync("W2");
        await script.LeaveAsync("R2");
        await script.LeaveAsync("R3");

        await output.WriteLineAsync();
        await output.WriteLineAsync("Fair: strict arrival order; consecutive readers enter together.");
        script = new Script(new AsyncReaderWriterLock(fair: true), output, cancellationToken);
        await script.ArriveAsync("R1");
        await script.ArriveAsync("W1");
        await script.ArriveAsync("R2");
        await script.ArriveAsync("R3");
        await script.ArriveAsync("W2");
        await script.ArriveAsync("R4");
        await script.LeaveAsync("R1");
        await script.LeaveAsync("W1");
        await script.LeaveAsync("R2");
        await script.LeaveAsync("R3");
        await script.LeaveAsync("W2");
        await script.LeaveAsync("R4");
        return 0;
    }

    // Acquisition is queued synchronously and the hand-off decides ownership before Dispose returns (the
    // statistics show it at once); the waiters' tasks complete a moment later on the thread pool, so each
    // step waits until as many tasks have completed as the statistics say hold the lock.
    private sealed class Script(AsyncReaderWriterLock rw, TextWriter output, CancellationToken cancellationToken)
    {
        private readonly Dictionary<string, ValueTask<AsyncReaderWriterLock.Releaser>> _pending = [];
        private readonly Dictionary<string, AsyncReaderWriterLock.Releaser> _holding = [];

        public async Task ArriveAsync(string name)
        {
            var pending = name[0] == 'W' ? rw.WriterLockAsync(cancellationToken) : rw.ReaderLockAsync(cancellationToken);
            _pending[name] = pending;
            var entered = await CollectAsync();
            var verb = name[0] == 'W' ? "write" : "read";
            await output.WriteLineAsync($"  {name} asks to {verb,-5} -> {(entered.Contains(name) ? "enters" : "waits")}{Holders()}");
        }

        public async Task LeaveAsync(string name)
        {
            _holding.Remove(name, out var releaser);
            releaser.Dispose();
            var entered = await CollectAsync();
            var who = entered.Count == 0 ? "nobody enters" : $"{string.Join(", ", entered)} {(entered.Count == 1 ? "enters" : "enter together")}";
            await output.WriteLineAsync($"  {name} leaves        -> {who}{Holders()}");
        }

        private async Task<List<string>> CollectAsync()
        {
            var stats = rw.GetStatistics();
            var holders = stats.ReaderCount + (stats.IsWriterHeld ? 1 : 0);
            while (_holding.Count + _pending.Values.Count(p => p.IsCompleted) < holders)
            {
                await Task.Yield();
            }

            var entered = new List<string>();
            foreach (var (name, pending) in _pending.ToList())
            {
                if (pending.IsCompleted)
                {
                    _holding[name] = await pending;
                    _pending.Remove(name);
                    entered.Add(name);
                }
            }

            return entered;
        }

        private string Holders()
        {
            var stats = rw.GetStatistics();
            var holders = _holding.Count == 0 ? "nobody" : string.Join(", ", _holding.Keys.Order(StringComparer.Ordinal));
            return $"   [holding: {holders}; waiting: {stats.WaitingReaders} readers, {stats.WaitingWriters} writers]";
        }
    }
}
