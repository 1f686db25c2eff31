namespace Braid.Tracing;

/// <summary>
/// A process could not be read or traced: it does not exist, has exited, is not a .NET process, belongs
/// to another user, or its runtime could not be read. The message is one sentence about the user's input.
/// </summary>
public sealed class TracingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TracingException()
    {
    }

    /// <summary>Creates the exception with its message.</summary>
    /// <param name="message">One sentence about the process or the input.</param>
    public TracingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the error underneath.</summary>
    /// <param name="message">One sentence about the process or the input.</param>
    /// <param name="innerException">What the runtime or the operating system reported.</param>
    public TracingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
