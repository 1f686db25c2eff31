namespace Braid.Simulation.Kernel;

/// <summary>The handlers of one event did not all finish within the kernel's handler timeout (virtual time).</summary>
public sealed class SimulationTimeoutException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SimulationTimeoutException()
        : base("the handlers of an event did not finish in time")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What overran.</param>
    public SimulationTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that ended the wait.</summary>
    /// <param name="message">What overran.</param>
    /// <param name="innerException">The cause.</param>
    public SimulationTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
