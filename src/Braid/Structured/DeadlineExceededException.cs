namespace Braid.Structured;

/// <summary>
/// Thrown by a fail scope (<see cref="CancelScope.FailAfterAsync(TimeSpan, Func{CancelScope, Task}, TimeProvider?, CancellationToken)"/>
/// and its relatives) when it caught its own cancellation: the deadline passed, or
/// <see cref="CancelScope.Cancel"/> was called with the reason in the message.
/// </summary>
public sealed class DeadlineExceededException : TimeoutException
{
    /// <summary>Creates the exception with a default message.</summary>
    public DeadlineExceededException()
        : base("A cancel scope's deadline passed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public DeadlineExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DeadlineExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal DeadlineExceededException(long scopeId, DateTimeOffset? deadline, string? reason)
        : base($"cancel scope #{scopeId} gave up: {reason ?? "cancelled"}.")
    {
        ScopeId = scopeId;
        Deadline = deadline;
        Reason = reason;
    }

    /// <summary>The <see cref="CancelScope.Id"/> of the scope that gave up (zero if unknown).</summary>
    public long ScopeId { get; }

    /// <summary>The scope's deadline when it gave up, if it had one.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Why the scope was cancelled: its deadline, or the reason given to <see cref="CancelScope.Cancel"/>.</summary>
    public string? Reason { get; }
}
