using System.Diagnostics;

namespace Braid.Structured;

/// <summary>
/// Given to a child started with <see cref="TaskGroup.StartAsync{T}"/>: the child calls
/// <see cref="Started(T)"/> once it is ready, handing a value to the caller that is waiting.
/// </summary>
/// <typeparam name="T">The value reported when started.</typeparam>
/// <remarks>
/// Before <see cref="Started(T)"/>, the child's failure or cancellation is reported to the caller of
/// <see cref="TaskGroup.StartAsync{T}"/> and not to the group; afterwards it belongs to the group. If
/// the caller's token fires first, the caller is cancelled and the child belongs to the group from
/// then on, as a child that was cancelled (design rule 10).
/// </remarks>
[DebuggerDisplay("StartSignal for {_name} started={IsStarted}")]
public sealed class StartSignal<T> : IAmbientScope
{
    // One state machine, moved only by compare-and-swap, decides who came first: Started, the child's
    // end, or the caller's token. Reading the state and then acting on it let a cancellation that
    // had read "starting" cancel a child that had started meanwhile (the caller had its value, and
    // the group then failed with the child's cancellation).
    private const int Starting = 0;
    private const int Running = 1;                    // Started came first: the child belongs to the group.
    private const int EndedBeforeStart = 2;           // The child ended first: its outcome was the caller's.
    private const int CallerCancelled = 3;            // The caller's token came first: the caller was cancelled.
    private const int CallerCancelledThenStarted = 4; // ...and the child called Started after all; nobody wants its value.

    private readonly TaskGroup _group;
    private readonly string? _name;
    private readonly CancellationToken _callerToken;
    private readonly TaskCompletionSource<T> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource? _childCts;
    private readonly CancellationTokenRegistration _callerRegistration;
    private int _state;

    internal StartSignal(TaskGroup group, string? name, CancellationToken callerToken)
    {
        _group = group;
        _name = name;
        _callerToken = callerToken;
        if (callerToken.CanBeCanceled)
        {
            // Until started, the caller's token cancels the child too; afterwards only the group does.
            _childCts = CancellationTokenSource.CreateLinkedTokenSource(group.InternalToken);
            ChildToken = _childCts.Token;

            // Last: a token already cancelled runs the callback here, and it needs everything above.
            _callerRegistration = callerToken.UnsafeRegister(static s => ((StartSignal<T>)s!).OnCallerCancelled(), this);
        }
        else
        {
            ChildToken = group.InternalToken;
        }
    }

    /// <summary>Whether the child has called <see cref="Started(T)"/>.</summary>
    public bool IsStarted => Volatile.Read(ref _state) is Running or CallerCancelledThenStarted;

    CancellationToken IAmbientScope.Token => ChildToken;

    TimeProvider IAmbientScope.Clock => ((IAmbientScope)_group).Clock;

    DateTimeOffset? IAmbientScope.EffectiveDeadline => ((IAmbientScope)_group).EffectiveDeadline;

    internal CancellationToken ChildToken { get; }

    internal Task<T> Task => _started.Task;

    /// <summary>
    /// Reports that the child has started, with <paramref name="value"/>, and releases the caller of
    /// <see cref="TaskGroup.StartAsync{T}"/>. Never waits; the caller resumes asynchronously, never
    /// inline inside this call.
    /// </summary>
    /// <param name="value">The value the caller receives.</param>
    /// <remarks>
    /// If the caller's token has already fired, the caller has been cancelled and this does nothing
    /// (it does not throw): the child, whose token is cancelled, runs on in the group until it ends.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Started was already called, or the child has already finished.</exception>
    public void Started(T value)
    {
        var state = Volatile.Read(ref _state);
        while (true)
        {
            var next = state switch
            {
                Starting => Running,
                CallerCancelled => CallerCancelledThenStarted,
                EndedBeforeStart => throw new InvalidOperationException(
                    $"Child {Describe(_name)} of {_group} called StartSignal.Started after it had finished."),
                _ => throw new InvalidOperationException($"Child {Describe(_name)} of {_group} reported Started twice."),
            };
            var seen = Interlocked.CompareExchange(ref _state, next, state);
            if (seen == state)
            {
                if (next == Running)
                {
                    // The callback, if it runs now, finds the state moved on and does nothing: no need to wait for it.
                    _callerRegistration.Unregister();
                    _started.TrySetResult(value);
                }

                return;
            }

            state = seen;
        }
    }

    bool IAmbientScope.IsCancelledForNested() => ChildToken.IsCancellationRequested || ((IAmbientScope)_group).IsCancelledForNested();

    internal void OnChildCompleted(Task task)
    {
        // Waits for a callback of the caller's token that is running on another thread, so that its
        // effects (the child's token cancelled, callback failures recorded) are complete before the
        // child is accounted; after this, the state can no longer become CallerCancelled.
        _callerRegistration.Dispose();
        var state = Interlocked.CompareExchange(ref _state, EndedBeforeStart, Starting);
        if (state == Starting)
        {
            // The child ended before it started: its outcome is the caller's, not the group's.
            switch (task.Status)
            {
                case TaskStatus.RanToCompletion:
                    _started.TrySetException(new InvalidOperationException(
                        $"Child {Describe(_name)} of {_group} finished without calling StartSignal.Started."));
                    break;
                case TaskStatus.Canceled:
                    _started.TrySetCanceled(ChildToken.IsCancellationRequested ? ChildToken : default);
                    break;
                default:
                    var inner = task.Exception!.InnerExceptions;
                    if (inner.Count == 1 && inner[0] is OperationCanceledException && ChildToken.IsCancellationRequested)
                    {
                        _started.TrySetCanceled(ChildToken);
                    }
                    else
                    {
                        _started.TrySetException(inner);
                    }

                    break;
            }

            _group.CountPreStartOutcome(task.Status);
            _childCts?.Dispose();
            _group.OnChildLeft(task, _name);
            return;
        }

        _childCts?.Dispose();
        if (state is CallerCancelled or CallerCancelledThenStarted && IsCancellation(task))
        {
            // The cancellation the caller's token caused: the child was cancelled, it did not fail.
            _group.CountPreStartOutcome(TaskStatus.Canceled);
            _group.OnChildLeft(task, _name);
            return;
        }

        _group.OnChildCompleted(task, _name);
    }

    private static string Describe(string? name) => name is null ? "(unnamed)" : $"'{name}'";

    private static bool IsCancellation(Task task) =>
        task.IsCanceled || (task.IsFaulted && task.Exception!.InnerExceptions is [OperationCanceledException]);

    private void OnCallerCancelled()
    {
        if (Interlocked.CompareExchange(ref _state, CallerCancelled, Starting) != Starting)
        {
            return; // Started or ended first: the caller's token no longer concerns the child.
        }

        // The group stays open while the child's token runs its callbacks, so that their failures are
        // recorded even if the child (the group's last) ends inline inside them.
        var held = _group.TryHold();
        try
        {
            _childCts!.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The child ended inside a callback and was accounted: nothing is left to cancel.
        }
        catch (AggregateException callbackFailures)
        {
            _group.RecordCallbackFailures(callbackFailures);
        }
        finally
        {
            if (held)
            {
                _group.ReleaseHold();
            }
        }

        _started.TrySetCanceled(_callerToken);
    }
}
