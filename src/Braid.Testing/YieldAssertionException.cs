namespace Braid.Testing;

/// <summary>Thrown by <see cref="YieldAssert"/> when a call yielded and should not have, or the reverse.</summary>
public sealed class YieldAssertionException : Exception
{
    /// <summary>Creates the exception with no message.</summary>
    public YieldAssertionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was expected and what happened.</param>
    public YieldAssertionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What was expected and what happened.</param>
    /// <param name="innerException">The cause.</param>
    public YieldAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
