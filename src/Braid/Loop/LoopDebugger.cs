using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using Braid.Instrumentation;

namespace Braid.Loop;

/// <summary>
/// Debug mode of one loop: slow steps, unfinished tasks and unobserved faults at exit. Blocking waits
/// are caught by <see cref="TaskEventListener"/>, which calls back into <see cref="ReportBlockingWait"/>.
/// </summary>
internal sealed class LoopDebugger(AsyncLoop loop, TimeSpan slowStepThreshold, TextWriter? output)
{
    private static FieldInfo? s_wrapperContinuation;

    private const int MinimumPruneAt = 256;

    private readonly long _slowTicks = (long)(slowStepThreshold.TotalSeconds * Stopwatch.Frequency);

    // Guards _tasks and _taskIds: the loop thread adds to them, the finalizer thread (which raises
    // UnobservedTaskException) reads and removes.
    private readonly Lock _gate = new();

    // Tasks whose continuations ran on the loop, weakly, so that an abandoned task can still be
    // collected and its unobserved exception published. The references track resurrection: a task
    // whose exception holder is being finalized is still found, so an entry whose task is gone is one
    // whose fault, if any, has been published already. Pruned as the list doubles (see Prune), so it
    // holds the loop's live tasks, not every task it ever ran.
    private readonly List<(WeakReference<Task> Task, int Id)> _tasks = [];
    private readonly HashSet<int> _taskIds = [];
    private readonly List<(int Id, Exception Error)> _unobserved = [];
    private int _pruneAt = MinimumPruneAt;
    private IDisposable? _listener;

    /// <summary>How many tasks the debugger is tracking now (for tests: it must not grow with the tasks that finished).</summary>
    internal int TrackedTaskCount
    {
        get
        {
            lock (_gate)
            {
                return _tasks.Count;
            }
        }
    }

    public void Start()
    {
        _listener = TaskEventListener.Acquire();
        TaskScheduler.UnobservedTaskException += OnUnobserved;
    }

    /// <summary>
    /// What a step will run, resolved before it runs: a waiter's wake step (rule 36) resumes its awaiter's
    /// continuation, which the waiter forgets once the awaiter has read its result.
    /// </summary>
    public static object? Resolve(in WorkItem item) => item.State switch
    {
        ILoopStepOwner owner => owner.ContinuationTarget,
        Delegate posted => posted,
        _ => item.Callback,
    };

    public void OnStep(object? step, long elapsedTicks)
    {
        if (BraidInstrumentation.IsEnabled)
        {
            BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.StepRun, loop.Id, Duration: Stopwatch.GetElapsedTime(0, elapsedTicks)));
        }

        if (FindTask(step) is { } task)
        {
            Track(task);
        }

        if (elapsedTicks > _slowTicks)
        {
            var duration = Stopwatch.GetElapsedTime(0, elapsedTicks);
            var method = Describe(step);
            Report(BraidEventKind.SlowStep, method, duration, string.Create(
                CultureInfo.InvariantCulture,
                $"slow step: {method} held the loop for {duration.TotalMilliseconds:F1} ms (threshold {TimeSpan.FromSeconds((double)_slowTicks / Stopwatch.Frequency).TotalMilliseconds:F0} ms)"),
                null);
        }
    }

    public void ReportBlockingWait(int taskId)
    {
        var stack = new StackTrace(skipFrames: 0, fNeedFileInfo: false).ToString();
        var caller = FirstUserFrame(stack);
        Report(BraidEventKind.BlockingWait, caller, TimeSpan.Zero, string.Create(
            CultureInfo.InvariantCulture,
            $"blocking wait: the loop thread blocked on incomplete task {taskId} (.Result, .Wait() or GetAwaiter().GetResult()) in {caller}; if the task needs the loop to finish, the loop is now deadlocked: await it instead"),
            null);
    }

    public void Finish(Task? entry, List<WorkItem>? leftovers)
    {
        try
        {
            if (leftovers is not null)
            {
                foreach (var item in leftovers)
                {
                    if (FindTask(Resolve(item)) is { } task)
                    {
                        Track(task);
                    }
                }
            }

            var reported = new HashSet<int>();
            List<(WeakReference<Task> Task, int Id)> tracked;
            lock (_gate)
            {
                tracked = [.. _tasks];
            }

            foreach (var (weak, _) in tracked)
            {
                if (weak.TryGetTarget(out var task) && !task.IsCompleted && task != entry)
                {
                    ReportUnfinished(DescribeTask(task), task.Id);
                    reported.Add(task.Id);
                }
            }

            // Async methods that began on the loop and never resumed there (waiting on something that
            // never came) are known only from the runtime's task events, by id and state machine.
            foreach (var (id, stateMachine) in TaskEventListener.TakeUnfinished(loop))
            {
                if (id != entry?.Id && reported.Add(id))
                {
                    ReportUnfinished(Demangle(stateMachine), id);
                }
            }

            // Abandoned faulted tasks publish their exception when collected: collect now, so that
            // this loop's tasks are reported while we still listen. The ids stay, to be matched.
            tracked.Clear();
            lock (_gate)
            {
                _tasks.Clear();
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            List<(int Id, Exception Error)> unobserved;
            lock (_unobserved)
            {
                unobserved = [.. _unobserved];
            }

            foreach (var (id, error) in unobserved)
            {
                Report(BraidEventKind.UnobservedFault, null, TimeSpan.Zero, $"unobserved fault: task {id} failed and nobody observed its exception: {error.GetType().Name}: {error.Message}", error);
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
            _listener?.Dispose();
        }
    }

    private void ReportUnfinished(string name, int taskId) =>
        Report(BraidEventKind.UnfinishedTask, name, TimeSpan.Zero, $"unfinished task: {name} (task {taskId}) started on the loop and had not finished when the loop exited", null);

    // Keeps the task, once, and now and then drops those that can no longer matter.
    private void Track(Task task)
    {
        lock (_gate)
        {
            if (!_taskIds.Add(task.Id))
            {
                return;
            }

            _tasks.Add((new WeakReference<Task>(task, trackResurrection: true), task.Id));
            if (_tasks.Count >= _pruneAt)
            {
                Prune();
                _pruneAt = Math.Max(MinimumPruneAt, _tasks.Count * 2);
            }
        }
    }

    // Under _gate. Drops the tasks that finished without a fault (they will never be reported: not
    // unfinished, and no exception to go unobserved) and those already collected (a fault they had
    // was published when their exception holder was finalized). A faulted task stays while it lives,
    // since its exception may yet go unobserved. Amortized O(1) per tracked task.
    private void Prune()
    {
        _tasks.RemoveAll(entry =>
        {
            if (entry.Task.TryGetTarget(out var task) && !(task.IsCompleted && !task.IsFaulted))
            {
                return false;
            }

            _taskIds.Remove(entry.Id);
            return true;
        });
    }

    // On the finalizer thread, for any task in the process.
    private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
    {
        bool ours;
        lock (_gate)
        {
            ours = sender is Task task && _taskIds.Remove(task.Id);
        }

        if (ours)
        {
            var task = (Task)sender!;
            lock (_unobserved)
            {
                _unobserved.Add((task.Id, e.Exception.InnerExceptions.Count == 1 ? e.Exception.InnerException! : e.Exception));
            }

            e.SetObserved();
        }
    }

    private void Report(BraidEventKind kind, string? name, TimeSpan duration, string message, Exception? error)
    {
        loop.RaiseReport(kind, name, duration, message, error);
        var writer = output ?? Console.Error;
        lock (writer)
        {
            writer.WriteLine($"braid debug [loop {loop.Id}]: {message}");
        }
    }

#pragma warning disable VSTHRD200 // Finds a task object; it does not start or await anything.
    private static Task? FindTask(object? step)
        => step as Task ?? Unwrap(step as Delegate)?.Target as Task;
#pragma warning restore VSTHRD200

    // With the runtime's task event source on, continuations are wrapped; find the state machine inside.
    private static Delegate? Unwrap(Delegate? d)
    {
        for (var depth = 0; depth < 4 && d?.Target is { } target && target.GetType().Name == "ContinuationWrapper"; depth++)
        {
            s_wrapperContinuation ??= target.GetType().GetField("_continuation", BindingFlags.Instance | BindingFlags.NonPublic);
            d = s_wrapperContinuation?.GetValue(target) as Delegate;
        }

        return d;
    }

    internal static string Describe(object? step)
    {
        if (step is Task resumed)
        {
            return DescribeTask(resumed);
        }

        var d = Unwrap(step as Delegate);
        if (d is null)
        {
            return "(unknown)";
        }

        if (d.Target is Task task && DescribeTask(task) is { } name)
        {
            return name;
        }

        return MethodName(d.Method.DeclaringType, d.Method.Name);
    }

    internal static string DescribeTask(Task task)
    {
        var type = task.GetType();
        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                if (typeof(IAsyncStateMachine).IsAssignableFrom(argument))
                {
                    return MethodName(argument.DeclaringType, argument.Name);
                }
            }
        }

        return type.Name;
    }

    // "<FetchAsync>d__4" nested in Shop.Client becomes "Shop.Client.FetchAsync"; local functions and
    // lambdas keep their enclosing method: "Shop.Client.Main.Retry", "Shop.Client.Main.lambda".
    private static string MethodName(Type? declaringType, string name)
    {
        while (declaringType is not null && declaringType.Name.StartsWith('<'))
        {
            declaringType = declaringType.DeclaringType;
        }

        name = Demangle(name);
        return declaringType is null ? name : $"{declaringType.FullName}.{name}";
    }

    private static string Demangle(string name)
    {
        if (!name.StartsWith('<'))
        {
            return name;
        }

        var depth = 0;
        var close = -1;
        for (var i = 0; i < name.Length && close < 0; i++)
        {
            depth += name[i] switch { '<' => 1, '>' => -1, _ => 0 };
            if (depth == 0)
            {
                close = i;
            }
        }

        if (close < 1)
        {
            return name;
        }

        var inner = Demangle(name[1..close]);
        var suffix = name[(close + 1)..];
        if (suffix.StartsWith("g__", StringComparison.Ordinal))
        {
            var bar = suffix.IndexOf('|', StringComparison.Ordinal);
            return $"{inner}.{(bar > 3 ? suffix[3..bar] : suffix[3..])}";
        }

        return suffix.StartsWith("b__", StringComparison.Ordinal) ? $"{inner}.lambda" : inner;
    }

    private static string FirstUserFrame(string stack)
    {
        foreach (var raw in stack.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("at ", StringComparison.Ordinal)
                && !line.StartsWith("at System.", StringComparison.Ordinal)
                && !line.StartsWith("at Braid.Loop.", StringComparison.Ordinal))
            {
                var paren = line.IndexOf('(', StringComparison.Ordinal);
                return paren > 3 ? line[3..paren] : line[3..];
            }
        }

        return "(unknown)";
    }
}
