namespace Braid.Loop;

/// <summary>
/// How an <see cref="AsyncLoop"/> runs: its clock, and whether debug mode checks every step.
/// Set the properties before passing the options to <see cref="AsyncLoop.Run(Func{Task}, AsyncLoopOptions?)"/>;
/// the loop reads them once, when it starts.
/// </summary>
public sealed class AsyncLoopOptions
{
    /// <summary>The environment variable that turns debug mode on when set to <c>1</c>: <c>BRAID_DEBUG</c>.</summary>
    public const string DebugEnvironmentVariable = "BRAID_DEBUG";

    /// <summary>
    /// Whether debug mode is on: slow steps, unobserved faults, unfinished tasks and blocking waits
    /// on the loop thread are reported. <see langword="null"/> (the default) means "on when the
    /// environment variable <c>BRAID_DEBUG</c> is <c>1</c>".
    /// </summary>
    /// <remarks>
    /// Debug mode costs: it enables the runtime's task event source in-process while the loop runs
    /// (every async operation in the process gets slower), and at exit it forces a full garbage
    /// collection to find faulted tasks nobody observed. Use it in development and tests.
    /// </remarks>
    public bool? Debug { get; set; }

    /// <summary>In debug mode, a step that holds the loop longer than this is reported. Default: 100 ms.</summary>
    public TimeSpan SlowStepThreshold { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The loop's clock, reachable as <see cref="AsyncLoop.TimeProvider"/>. Default:
    /// <see cref="System.TimeProvider.System"/>. A <see cref="Braid.Time.VirtualClock"/> with
    /// <see cref="Braid.Time.VirtualClock.AutoJump"/> on is advanced by the loop whenever it is idle.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Where debug-mode reports are written, besides the instrumentation hook. Default:
    /// <see langword="null"/>, meaning standard error. Use <see cref="TextWriter.Null"/> to silence them.
    /// </summary>
    public TextWriter? DebugOutput { get; set; }

    internal bool ResolveDebug()
    {
        if (Debug is { } explicitly)
        {
            return explicitly;
        }

        return Environment.GetEnvironmentVariable(DebugEnvironmentVariable) == "1";
    }
}
