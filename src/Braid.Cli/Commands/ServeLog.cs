using Microsoft.Extensions.Logging;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid serve</c>'s log: the app's own warnings and errors (categories <c>Braid.*</c>, such as a dropped
/// event-stream client), one line each on standard error: <c>braid serve: warning: ...</c>. The host's
/// and Kestrel's messages are left out: the command reports their failures itself, in one line.
/// </summary>
internal sealed class ServeLog(TextWriter stderr) : ILoggerProvider
{
    private readonly object _lock = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName.StartsWith("Braid.", StringComparison.Ordinal));

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string message)
    {
        lock (_lock)
        {
            stderr.WriteLine($"braid serve: {level.ToString().ToLowerInvariant()}: {message}");
            stderr.Flush();
        }
    }

    private sealed class Logger(ServeLog log, bool enabled) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => enabled && logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Write(logLevel, formatter(state, exception) + (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})"));
            }
        }
    }
}
