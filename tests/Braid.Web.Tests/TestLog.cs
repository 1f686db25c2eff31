using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Braid.Web.Tests;

/// <summary>Collects log lines, and lets a test wait for one that contains a text.</summary>
internal sealed class TestLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _waiters = [];

    public IReadOnlyCollection<string> Lines => _lines;

    public void Configure(ILoggingBuilder builder)
    {
        builder.SetMinimumLevel(LogLevel.Debug);
        builder.AddProvider(this);
    }

    public Task<string> WaitForAsync(string text)
    {
        lock (_waiters)
        {
            if (_lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
            {
                return Task.FromResult(line);
            }

            var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, seen));
            return seen.Task;
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lock (_waiters)
        {
            _lines.Enqueue(line);
            _waiters.RemoveAll(w =>
            {
                if (!line.Contains(w.Text, StringComparison.Ordinal))
                {
                    return false;
                }

                w.Seen.TrySetResult(line);
                return true;
            });
        }
    }

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Add($"{logLevel} {category}: {formatter(state, exception)}");
    }
}
