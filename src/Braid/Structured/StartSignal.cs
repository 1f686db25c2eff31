using System.Diagnostics;

namespace Braid.Structured;

/// <summary>
/// Given to a child started with <see cref="TaskGroup.StartAsync{T}"/>: the child calls
/// <see cref="Started(T)"/> once it is ready, handing a value to the caller that is waiting.
/// </summary>
/// <typeparam name="T">The value reported when started.</typeparam>
/// <remarks>
/// Before <see cref="Started(T)"/>, the child's failure or cancellation is reported to the caller of
/// <see cref="TaskGroup.StartAsync{T}"/> and not to the group; afterwards it belongs to the group.
/// </remarks>
[DebuggerDisplay("StartSignal for {_name} started={IsStarted}")]
public sealed class StartSignal<T>
{
    private const int Starting = 0;
    private const int Running = 1;
    private const int EndedBeforeStart = 2;

    private readonly TaskGroup _group;
    private readonly string? _name;
    private readonly TaskCompletionSource<T> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource? _childCts;
    private readonly CancellationTokenRegistration _callerRegistration;
    private int _state;

    internal StartSignal(TaskGroup group, string? name, CancellationToken callerToken)
    {
        _group = group;
        _name = name;
        if (callerToken.CanBeCanceled)
        {
            // Until started, the caller's token cancels the child too; afterwards only the group does.
            _childCts = CancellationTokenSource.CreateLinkedTokenSource(group.InternalToken);
            _callerRegistration = callerToken.UnsafeRegister(static s => ((StartSignal<T>)s!).CancelBeforeStart(), this);
            ChildToken = _childCts.Token;
        }
        else
        {
            ChildToken = group.InternalToken;
        }
    }

    /// <summary>Whether the child has called <see cref="Started(T)"/>.</summary>
    public bool IsStarted => Volatile.Read(ref _state) == Running;

    internal CancellationToken ChildToken { get; }

    internal Task<T> Task => _started.Task;

    /// <summary>
    /// Reports that the child has started, with <paramref name="value"/>, and releases the caller of
    /// <see cref="TaskGroup.StartAsync{T}"/>. Never waits; the caller resumes asynchronously, never
    /// inline inside this call.
    /// </summary>
    /// <param name="value">The value the caller receives.</param>
    /// <exception cref="InvalidOperationException">Started was already called.</exception>
    public void Started(T value)
    {
        if (Interlocked.CompareExchange(ref _state, Running, Starting) != Starting)
        {
            throw new InvalidOperationException($"Child {_name ?? "(unnamed)"} of {_group} reported Started twice.");
        }

        _callerRegistration.Dispose();
        _started.TrySetResult(value);
    }

    internal void OnChildCompleted(Task task)
    {
        _callerRegistration.Dispose();
        if (Interlocked.CompareExchange(ref _state, EndedBeforeStart, Starting) == Starting)
        {
            // The child ended before it started: its outcome is the caller's, not the group's.
            switch (task.Status)
            {
                case TaskStatus.RanToCompletion:
                    _started.TrySetException(new InvalidOperationException(
                        $"Child {_name ?? "(unnamed)"} of {_group} finished without calling StartSignal.Started."));
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
        _group.OnChildCompleted(task, _name);
    }

    private void CancelBeforeStart()
    {
        if (Volatile.Read(ref _state) == Starting)
        {
            try
            {
                _childCts!.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The child already ended.
            }
        }
    }
}
