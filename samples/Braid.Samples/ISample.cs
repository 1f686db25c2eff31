namespace Braid.Samples;

/// <summary>
/// One runnable scenario of the book. Samples are discovered by reflection: add a class that
/// implements this interface (with a public parameterless constructor) and it can be run by name.
/// </summary>
public interface ISample
{
    /// <summary>The name used on the command line, lower-case with dashes (for example <c>race-condition</c>).</summary>
    string Name { get; }

    /// <summary>One line: what the sample shows.</summary>
    string Description { get; }

    /// <summary>Runs the sample, writing to <paramref name="output"/>; returns the process exit code.</summary>
    Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken);
}
