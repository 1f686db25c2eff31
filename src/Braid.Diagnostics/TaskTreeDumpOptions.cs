using Braid.Loop;

namespace Braid.Diagnostics;

/// <summary>Settings of a <see cref="TaskTreeDump"/>.</summary>
public sealed class TaskTreeDumpOptions
{
    /// <summary>
    /// Print the task tree each time an event loop's debug mode reports something (a slow step, a
    /// blocking wait, an unfinished task, an unobserved fault). <see langword="null"/> (the default)
    /// means "when the environment variable <c>BRAID_DEBUG</c> is <c>1</c>", the variable that turns the
    /// loops' debug mode on.
    /// </summary>
    public bool? OnDebugReports { get; init; }

    /// <summary>
    /// Print the task tree when the process receives <c>SIGQUIT</c> (<c>kill -QUIT pid</c>, or Ctrl+\ in a
    /// terminal), instead of the signal's default action. Off by default: a library never takes a
    /// signal on its own. Not supported on Windows.
    /// </summary>
    public bool OnSigquit { get; init; }

    /// <summary>Where the tree is printed (default <see cref="Console.Error"/>).</summary>
    public TextWriter? Output { get; init; }

    /// <summary>The clock of the tree's ages (default <see cref="TimeProvider.System"/>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal bool DebugReportsOn => OnDebugReports ?? Environment.GetEnvironmentVariable(AsyncLoopOptions.DebugEnvironmentVariable) == "1";
}
