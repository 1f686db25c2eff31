namespace Braid.Channels;

/// <summary>
/// Thrown by a send on a memory channel whose every receive clone is closed: nobody can ever receive the item, which was not sent (Trio's <c>BrokenResourceError</c>).
/// </summary>
public sealed class BrokenResourceException : InvalidOperationException
{
    /// <summary>Creates the exception with the standard message.</summary>
    public BrokenResourceException()
        : base("The channel is broken: every receiver was closed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public BrokenResourceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public BrokenResourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
