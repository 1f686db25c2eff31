using System.Runtime.InteropServices;
using Braid.Instrumentation;

namespace Braid.Diagnostics;

/// <summary>
/// Prints the live task tree when something asks for it: a debug-mode report of an event loop
/// (<c>BRAID_DEBUG=1</c>), or, opt-in, the <c>SIGQUIT</c> signal, as a JVM prints its threads. It runs a
/// <see cref="TaskTree"/> session while installed, so the tree holds what started since.
/// </summary>
/// <remarks>
/// Nothing is installed by default (docs/design.md rule 120): call <see cref="Install"/> at the start of
/// <c>Main</c>. With the default options and <c>BRAID_DEBUG</c> unset it starts nothing and costs
/// nothing. The tree is printed on the thread that reported (the loop's) or on the runtime's signal
/// thread; <see cref="TaskTree.Capture"/> never takes a lock a child holds, so it works on a
/// deadlocked program.
/// </remarks>
/// <example>
/// <code>
/// using var dump = TaskTreeDump.Install(new TaskTreeDumpOptions { OnSigquit = true });
/// // kill -QUIT &lt;pid&gt; prints the tree to stderr
/// </code>
/// </example>
public sealed class TaskTreeDump : IDisposable
{
    private readonly TextWriter _output;
    private readonly IDisposable? _session;
    private readonly IDisposable? _subscription;
    private readonly PosixSignalRegistration? _signal;

    private TaskTreeDump(TaskTreeDumpOptions options)
    {
        _output = options.Output ?? Console.Error;
        var reports = options.DebugReportsOn;
        if (reports || options.OnSigquit)
        {
            // A session already running (the user's) is read as it is.
            _session = LiveTasks.IsRecording ? null : TaskTree.Start(options.TimeProvider);
        }

        if (reports)
        {
            _subscription = BraidInstrumentation.Subscribe(OnEvent);
        }

        if (options.OnSigquit)
        {
            _signal = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context =>
            {
                context.Cancel = true;
                Print("SIGQUIT");
            });
        }
    }

    /// <summary>Whether the tree is printed on debug-mode reports.</summary>
    public bool OnDebugReports => _subscription is not null;

    /// <summary>Whether the tree is printed on <c>SIGQUIT</c>.</summary>
    public bool OnSigquit => _signal is not null;

    /// <summary>Installs what <paramref name="options"/> asks for. Completes synchronously.</summary>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults (debug reports when <c>BRAID_DEBUG=1</c>, no signal).</param>
    /// <returns>The dump; dispose it to uninstall (and stop its task tree session).</returns>
    /// <exception cref="PlatformNotSupportedException"><see cref="TaskTreeDumpOptions.OnSigquit"/> on a platform without <c>SIGQUIT</c>.</exception>
    public static TaskTreeDump Install(TaskTreeDumpOptions? options = null) => new(options ?? new TaskTreeDumpOptions());

    /// <summary>Uninstalls: the signal goes back to its default action, reports print nothing more.</summary>
    public void Dispose()
    {
        _signal?.Dispose();
        _subscription?.Dispose();
        _session?.Dispose();
    }

    private void OnEvent(BraidEvent e)
    {
        var report = e.Kind switch
        {
            BraidEventKind.SlowStep => "slow step",
            BraidEventKind.BlockingWait => "blocking wait",
            BraidEventKind.UnfinishedTask => "unfinished task",
            BraidEventKind.UnobservedFault => "unobserved fault",
            _ => null,
        };
        if (report is not null)
        {
            Print($"{report} on loop {e.SourceId}");
        }
    }

    private void Print(string reason)
    {
        var tree = TaskTree.Capture().ToText();
        lock (_output)
        {
            _output.WriteLine($"braid debug: task tree at {reason}:");
            _output.Write(tree.Length == 0 ? "(no live task groups)" + Environment.NewLine : tree);
            _output.Flush();
        }
    }
}
