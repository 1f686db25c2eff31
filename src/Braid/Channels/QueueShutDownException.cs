namespace Braid.Channels;

/// <summary>
/// Thrown by a put on a queue that was shut down, and by a get on a shut-down queue that has no item
/// left (asyncio's <c>QueueShutDown</c>).
/// </summary>
public sealed class QueueShutDownException : InvalidOperationException
{
    /// <summary>Creates the exception with the standard message.</summary>
    public QueueShutDownException()
        : base("The queue was shut down.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public QueueShutDownException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public QueueShutDownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
