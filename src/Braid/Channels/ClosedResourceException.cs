namespace Braid.Channels;

/// <summary>
/// Thrown by an operation on a channel clone that was already closed, and by a wait on a clone that is closed while it waits (Trio's <c>ClosedResourceError</c>).
/// </summary>
public sealed class ClosedResourceException : InvalidOperationException
{
    /// <summary>Creates the exception with the standard message.</summary>
    public ClosedResourceException()
        : base("The channel was closed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ClosedResourceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public ClosedResourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
