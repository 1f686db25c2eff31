namespace Braid.Channels;

/// <summary>
/// Thrown by a receive on a memory channel whose every send clone is closed and whose buffer is empty: the stream ended normally (Trio's <c>EndOfChannel</c>). <c>await foreach</c> over a receive channel ends quietly instead.
/// </summary>
public sealed class EndOfChannelException : InvalidOperationException
{
    /// <summary>Creates the exception with the standard message.</summary>
    public EndOfChannelException()
        : base("The channel ended: every sender closed and the buffer is empty.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public EndOfChannelException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public EndOfChannelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
