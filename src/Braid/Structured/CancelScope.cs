using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Braid.Instrumentation;
using Braid.Internal;
using Braid.Loop;

namespace Braid.Structured;

/// <summary>
/// A region of code that can be cancelled as a unit, with an optional deadline (Trio's cancel scope).
/// A scope runs a delegate: C# <c>using</c> cannot swallow an exception, and a move-on scope must
/// swallow its own cancellation.
/// </summary>
/// <remarks>
/// <para>
/// The body receives the scope; it passes <see cref="CancellationToken"/> to what it awaits. That
/// token is cancelled by <see cref="Cancel"/>, by the scope's deadline, by the caller's token and by
/// any enclosing scope or <see cref="TaskGroup"/> (found through the ambient chain, so nesting works
/// even when nobody passes a token down), unless the scope is shielded.
/// </para>
/// <para>
/// When the body ends in <see cref="OperationCanceledException"/> and this scope was cancelled (or
/// its deadline has passed), the scope absorbs it, provided no enclosing scope and no caller's token
/// is cancelled too: a cancellation is caught by the outermost cancelled scope it passes through,
/// and only there. A move-on scope then returns normally with <see cref="CancelledCaught"/> set; a
/// fail scope throws <see cref="DeadlineExceededException"/>. Any other outcome of the body
/// (a result, a failure, a cancellation that belongs further out) passes through unchanged.
/// </para>
/// <para>
/// Clocks (design rule 17): a scope measures its deadline on the clock it is given, else on the clock
/// of the scope or group it runs inside, else on the current <see cref="AsyncLoop"/>'s
/// <see cref="AsyncLoop.TimeProvider"/>, else on the system clock; so on a loop with a virtual clock,
/// <c>MoveOnAfterAsync(TimeSpan.FromSeconds(5), ...)</c> waits five virtual seconds. A relative
/// deadline is computed on the scope's own clock. Deadlines on different clocks are compared by the
/// time they have left, never as absolute instants.
/// </para>
/// <para>
/// A shielded scope (<see cref="ShieldAsync(Func{CancelScope, Task}, TimeProvider?)"/>) ignores
/// every cancellation from outside (enclosing scopes, groups and tokens) but obeys its own deadline
/// and <see cref="Cancel"/>: it is for cleanup that must finish.
/// </para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class CancelScope : IAmbientScope
{
    private readonly CancellationTokenSource _cts;
    private readonly CancellationToken _outerToken;
    private readonly IAmbientScope? _parent;
    private readonly TimeProvider _time;
    private ITimer? _timer;
    private DateTimeOffset? _deadline;
    private string? _cancelReason;
    private List<Exception>? _callbackFailures;
    private bool _closed;
    private int _cancelsRunning;
    private TaskCompletionSource? _cancelsDone;
    private volatile bool _cancelledCaught;

    private CancelScope(TimeProvider? timeProvider, bool shield, CancellationToken cancellationToken)
    {
        Id = IdGenerator.Next();
        var enclosing = AmbientScope.Current;

        // A shield ignores the outside's cancellation, not its time: it inherits the clock all the same.
        _time = timeProvider ?? AmbientScope.InheritedClock(enclosing);
        IsShielded = shield;
        if (!shield)
        {
            _outerToken = cancellationToken;
            _parent = enclosing;
        }

        var parentToken = _parent?.Token ?? default;
        if (parentToken == _outerToken)
        {
            parentToken = default;
        }

        _cts = (_outerToken.CanBeCanceled, parentToken.CanBeCanceled) switch
        {
            (true, true) => CancellationTokenSource.CreateLinkedTokenSource(_outerToken, parentToken),
            (true, false) => CancellationTokenSource.CreateLinkedTokenSource(_outerToken),
            (false, true) => CancellationTokenSource.CreateLinkedTokenSource(parentToken),
            _ => new CancellationTokenSource(),
        };
    }

    /// <summary>The scope's stable, process-wide unique id.</summary>
    public long Id { get; }

    /// <summary>
    /// The token the body passes to what it awaits: cancelled by <see cref="Cancel"/>, the deadline,
    /// and (unless shielded) the caller's token and enclosing scopes and groups.
    /// </summary>
    public CancellationToken CancellationToken => _cts.Token;

    /// <summary>Whether this scope ignores cancellation from outside.</summary>
    public bool IsShielded { get; }

    /// <summary>
    /// The clock the deadline is measured on: the one given, else the enclosing scope's or group's,
    /// else the current loop's, else <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>
    /// The scope's own deadline, or <see langword="null"/> for none. Setting it moves the deadline
    /// while the scope runs: a later one postpones the cancellation, one already past cancels at once.
    /// Setting it after the scope has been cancelled does not undo the cancellation.
    /// </summary>
    /// <remarks>Never waits; setting a past deadline runs the token's callbacks synchronously.</remarks>
    public DateTimeOffset? Deadline
    {
        get
        {
            lock (_cts)
            {
                return _deadline;
            }
        }

        set => SetDeadline(value);
    }

    /// <summary>
    /// The deadline that actually applies inside the scope: the sooner of its own and the one it
    /// inherits from enclosing scopes (a shielded scope inherits none), or <see langword="null"/>;
    /// an instant on this scope's <see cref="TimeProvider"/>. An inherited deadline on another clock
    /// is carried over by the time it has left, not by its absolute instant.
    /// </summary>
    public DateTimeOffset? EffectiveDeadline
    {
        get
        {
            var own = Deadline;
            var inherited = _parent is null ? null : AmbientScope.OnClock(_parent.EffectiveDeadline, _parent.Clock, _time);
            return (own, inherited) switch
            {
                (null, _) => inherited,
                (_, null) => own,
                _ => own < inherited ? own : inherited,
            };
        }
    }

    /// <summary>
    /// Whether this scope itself was cancelled (its deadline passed or <see cref="Cancel"/> was called;
    /// Trio's <c>cancel_called</c>). Cancellation arriving from outside does not set it.
    /// </summary>
    public bool IsCancellationRequested => Volatile.Read(ref _cancelReason) is not null;

    /// <summary>Why the scope was cancelled (the reason given to <see cref="Cancel"/>, or the deadline), or <see langword="null"/>.</summary>
    public string? CancelReason => Volatile.Read(ref _cancelReason);

    /// <summary>
    /// Whether this scope absorbed a cancellation: the body ended in <see cref="OperationCanceledException"/>
    /// because of this scope. <see langword="false"/> when the body completed (even after a cancel
    /// request it ignored) or when the cancellation belonged to an enclosing scope.
    /// </summary>
    public bool CancelledCaught => _cancelledCaught;

    CancellationToken IAmbientScope.Token => _cts.Token;

    TimeProvider IAmbientScope.Clock => _time;

    private string DebuggerDisplay =>
        $"CancelScope #{Id}{(IsShielded ? " shielded" : string.Empty)} deadline={Deadline?.ToString("O") ?? "none"} cancelled={IsCancellationRequested} caught={CancelledCaught}";

    /// <summary>Runs <paramref name="body"/> in a scope without a deadline, which <see cref="Cancel"/> ends quietly.</summary>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="cancellationToken">Cancellation from outside; it is not absorbed by this scope.</param>
    /// <returns>The scope, after the body has finished; check <see cref="CancelledCaught"/>.</returns>
    /// <remarks>Completes synchronously if the body does. Outside cancellation propagates as <see cref="OperationCanceledException"/>.</remarks>
    public static Task<CancelScope> RunAsync(Func<CancelScope, Task> body, CancellationToken cancellationToken = default) =>
        RunCoreAsync(Create(body, null, null, null, shield: false, cancellationToken), body, fail: false);

    /// <summary>Runs <paramref name="body"/> for a result in a scope without a deadline.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="cancellationToken">Cancellation from outside; it is not absorbed by this scope.</param>
    /// <returns>The result, or no result if the scope caught a cancellation.</returns>
    /// <remarks>Outside cancellation propagates as <see cref="OperationCanceledException"/>.</remarks>
    public static Task<CancelScopeResult<T>> RunAsync<T>(Func<CancelScope, Task<T>> body, CancellationToken cancellationToken = default) =>
        RunCoreAsync(Create(body, null, null, null, shield: false, cancellationToken), body, fail: false);

    /// <summary>
    /// Runs <paramref name="body"/> and abandons it quietly if it is still running
    /// <paramref name="delay"/> from now (Trio's <c>move_on_after</c>).
    /// </summary>
    /// <param name="delay">How long the body may run, measured on <paramref name="timeProvider"/>.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancellation from outside; it is not absorbed by this scope.</param>
    /// <returns>The scope, after the body has finished; <see cref="CancelledCaught"/> tells whether the deadline cut it short.</returns>
    /// <remarks>Completes synchronously if the body does. Outside cancellation propagates as <see cref="OperationCanceledException"/>.</remarks>
    public static Task<CancelScope> MoveOnAfterAsync(TimeSpan delay, Func<CancelScope, Task> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(Create(body, timeProvider, delay, null, shield: false, cancellationToken), body, fail: false);

    /// <summary>Runs <paramref name="body"/> for a result and abandons it quietly after <paramref name="delay"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="delay">How long the body may run, measured on <paramref name="timeProvider"/>.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancellation from outside; it is not absorbed by this scope.</param>
    /// <returns>The result, or no result if the deadline cut the body short.</returns>
    /// <remarks>Outside cancellation propagates as <see cref="OperationCanceledException"/>.</remarks>
    public static Task<CancelScopeResult<T>> MoveOnAfterAsync<T>(TimeSpan delay, Func<CancelScope, Task<T>> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(Create(body, timeProvider, delay, null, shield: false, cancellationToken), body, fail: false);

    /// <summary>Runs <paramref name="body"/> and abandons it quietly if it is still running at <paramref name="deadline"/> (Trio's <c>move_on_at</c>).</summary>
    /// <param name="deadline">The absolute deadline on <paramref name="timeProvider"/>'s clock.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancellation from outside; it is not absorbed by this scope.</param>
    /// <returns>The scope, after the body has finished; check <see cref="CancelledCaught"/>.</returns>
    /// <remarks>A deadline already past cancels the token before the body starts.</remarks>
    public static Task<CancelScope> MoveOnAtAsync(DateTimeOffset deadline, Func<CancelScope, Task> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(Create(body, timeProvider, null, deadline, shield: false, cancellationToken), body, fail: false);

    /// <summary>Runs <paramref name="body"/> for a result and abandons it quietly at <paramref name="deadline"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="deadline">The absolute deadline on <paramref name="timeProvider"/>'s clock.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancellation from outside; it is not absorbed by this scope.</param>
    /// <returns>The result, or no result if the deadline cut the body short.</returns>
    /// <remarks>A deadline already past cancels the token before the body starts.</remarks>
    public static Task<CancelScopeResult<T>> MoveOnAtAsync<T>(DateTimeOffset deadline, Func<CancelScope, Task<T>> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(Create(body, timeProvider, null, deadline, shield: false, cancellationToken), body, fail: false);

    /// <summary>
    /// Runs <paramref name="body"/> and throws <see cref="DeadlineExceededException"/> if it is still
    /// running <paramref name="delay"/> from now (Trio's <c>fail_after</c>).
    /// </summary>
    /// <param name="delay">How long the body may run, measured on <paramref name="timeProvider"/>.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancellation from outside; it propagates as <see cref="OperationCanceledException"/>.</param>
    /// <returns>A task that completes when the body does.</returns>
    /// <exception cref="DeadlineExceededException">The scope caught its own cancellation (deadline or <see cref="Cancel"/>).</exception>
    /// <remarks>Completes synchronously if the body does.</remarks>
    public static Task FailAfterAsync(TimeSpan delay, Func<CancelScope, Task> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(Create(body, timeProvider, delay, null, shield: false, cancellationToken), body, fail: true);

    /// <summary>Runs <paramref name="body"/> for a result and throws <see cref="DeadlineExceededException"/> after <paramref name="delay"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="delay">How long the body may run, measured on <paramref name="timeProvider"/>.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancellation from outside; it propagates as <see cref="OperationCanceledException"/>.</param>
    /// <returns>The body's result.</returns>
    /// <exception cref="DeadlineExceededException">The scope caught its own cancellation.</exception>
    /// <remarks>Completes synchronously if the body does.</remarks>
    public static async Task<T> FailAfterAsync<T>(TimeSpan delay, Func<CancelScope, Task<T>> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        (await RunCoreAsync(Create(body, timeProvider, delay, null, shield: false, cancellationToken), body, fail: true).ConfigureAwait(false)).Value;

    /// <summary>Runs <paramref name="body"/> and throws <see cref="DeadlineExceededException"/> if it is still running at <paramref name="deadline"/>.</summary>
    /// <param name="deadline">The absolute deadline on <paramref name="timeProvider"/>'s clock.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancellation from outside; it propagates as <see cref="OperationCanceledException"/>.</param>
    /// <returns>A task that completes when the body does.</returns>
    /// <exception cref="DeadlineExceededException">The scope caught its own cancellation.</exception>
    /// <remarks>Completes synchronously if the body does.</remarks>
    public static Task FailAtAsync(DateTimeOffset deadline, Func<CancelScope, Task> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(Create(body, timeProvider, null, deadline, shield: false, cancellationToken), body, fail: true);

    /// <summary>Runs <paramref name="body"/> for a result and throws <see cref="DeadlineExceededException"/> at <paramref name="deadline"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="deadline">The absolute deadline on <paramref name="timeProvider"/>'s clock.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <param name="cancellationToken">Cancellation from outside; it propagates as <see cref="OperationCanceledException"/>.</param>
    /// <returns>The body's result.</returns>
    /// <exception cref="DeadlineExceededException">The scope caught its own cancellation.</exception>
    /// <remarks>Completes synchronously if the body does.</remarks>
    public static async Task<T> FailAtAsync<T>(DateTimeOffset deadline, Func<CancelScope, Task<T>> body, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        (await RunCoreAsync(Create(body, timeProvider, null, deadline, shield: false, cancellationToken), body, fail: true).ConfigureAwait(false)).Value;

    /// <summary>
    /// Runs <paramref name="body"/> shielded from every cancellation outside it: enclosing scopes,
    /// groups and tokens (Trio's <c>shield=True</c>). For cleanup that must run even while everything
    /// around it is being cancelled. Give it a deadline (<see cref="ShieldAfterAsync"/> or
    /// <see cref="Deadline"/>) so that cleanup cannot hang forever.
    /// </summary>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock for a deadline set later; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <returns>The scope, after the body has finished.</returns>
    /// <remarks>Completes synchronously if the body does. Only <see cref="Cancel"/> and the scope's own deadline cancel it.</remarks>
    public static Task<CancelScope> ShieldAsync(Func<CancelScope, Task> body, TimeProvider? timeProvider = null) =>
        RunCoreAsync(Create(body, timeProvider, null, null, shield: true, default), body, fail: false);

    /// <summary>
    /// Runs <paramref name="body"/> shielded from outside cancellation, but abandons it quietly if it is
    /// still running <paramref name="delay"/> from now: bounded cleanup.
    /// </summary>
    /// <param name="delay">How long the cleanup may take, measured on <paramref name="timeProvider"/>.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <returns>The scope, after the body has finished; <see cref="CancelledCaught"/> tells whether its deadline cut it short.</returns>
    /// <remarks>Completes synchronously if the body does.</remarks>
    public static Task<CancelScope> ShieldAfterAsync(TimeSpan delay, Func<CancelScope, Task> body, TimeProvider? timeProvider = null) =>
        RunCoreAsync(Create(body, timeProvider, delay, null, shield: true, default), body, fail: false);

    /// <summary>Runs <paramref name="body"/> for a result, shielded from every cancellation outside it.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock for a deadline set later; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <returns>The result, or no result if the scope's own deadline or <see cref="Cancel"/> cut the body short.</returns>
    /// <remarks>Completes synchronously if the body does. Only <see cref="Cancel"/> and the scope's own deadline cancel it.</remarks>
    public static Task<CancelScopeResult<T>> ShieldAsync<T>(Func<CancelScope, Task<T>> body, TimeProvider? timeProvider = null) =>
        RunCoreAsync(Create(body, timeProvider, null, null, shield: true, default), body, fail: false);

    /// <summary>Runs <paramref name="body"/> for a result, shielded from outside cancellation, abandoning it quietly after <paramref name="delay"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="delay">How long the body may take, measured on <paramref name="timeProvider"/>.</param>
    /// <param name="body">The work; it receives the scope.</param>
    /// <param name="timeProvider">The clock; when <see langword="null"/>, the enclosing scope's or group's, else the current loop's, else <see cref="TimeProvider.System"/>.</param>
    /// <returns>The result, or no result if the deadline cut the body short.</returns>
    /// <remarks>Completes synchronously if the body does.</remarks>
    public static Task<CancelScopeResult<T>> ShieldAfterAsync<T>(TimeSpan delay, Func<CancelScope, Task<T>> body, TimeProvider? timeProvider = null) =>
        RunCoreAsync(Create(body, timeProvider, delay, null, shield: true, default), body, fail: false);

    /// <summary>
    /// Cancels the scope: its token is cancelled and, when the body ends in cancellation, the scope
    /// absorbs it (move-on) or throws <see cref="DeadlineExceededException"/> (fail), with
    /// <paramref name="reason"/> in the message.
    /// </summary>
    /// <param name="reason">Why; kept in <see cref="CancelReason"/>. The first reason is kept.</param>
    /// <remarks>
    /// Never waits. Callbacks registered on the token run synchronously on this thread. Does nothing
    /// once the scope has exited.
    /// </remarks>
    public void Cancel(string? reason = null) => CancelCore(reason ?? "cancelled by CancelScope.Cancel");

    /// <summary>Describes the scope.</summary>
    /// <returns>For example <c>cancel scope #7</c>.</returns>
    public override string ToString() => $"cancel scope #{Id}";

    bool IAmbientScope.IsCancelledForNested() =>
        _cts.IsCancellationRequested || OwnDeadlinePassed() || (_parent?.IsCancelledForNested() ?? false);

    private static DateTimeOffset Relative(TimeSpan delay, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return delay >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + delay;
    }

    private static CancelScope Create(Delegate body, TimeProvider? timeProvider, TimeSpan? delay, DateTimeOffset? deadline, bool shield, CancellationToken cancellationToken)
    {
        // Arguments first: a scope, once created, holds a registration on the outer token (and may
        // hold a timer) that only its exit releases.
        ArgumentNullException.ThrowIfNull(body);
        if (delay is { } relative)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(relative, TimeSpan.Zero, nameof(delay));
        }

        var scope = new CancelScope(timeProvider, shield, cancellationToken);

        // A relative deadline is measured on the scope's own clock, inherited or given.
        var due = delay is { } d ? Relative(d, scope._time) : deadline;
        if (due is not null)
        {
            scope.SetDeadline(due);
        }

        return scope;
    }

    private static async Task<CancelScope> RunCoreAsync(CancelScope scope, Func<CancelScope, Task> body, bool fail)
    {
        ExceptionDispatchInfo? failure = null;
        try
        {
            // Not capturing the context is safe (the caller's own await resumes on its context), except
            // on an AsyncLoop: there the scope's exit stays on the loop, where its clock can see it.
            await scope.InvokeBodyAsync(body).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        }
        catch (OperationCanceledException) when (scope.ShouldAbsorb())
        {
            scope._cancelledCaught = true;
        }
#pragma warning disable CA1031 // Rethrown by AfterExit, together with any callback failures.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            failure = ExceptionDispatchInfo.Capture(exception);
        }

        await scope.ExitAsync(fail, failure).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        return scope;
    }

    // The exit both RunCoreAsync forms share: wait for a cancellation still running this scope's callbacks,
    // then close and report (the body's failure, a fail scope's deadline, callback failures; rule 110).
    private async ValueTask ExitAsync(bool fail, ExceptionDispatchInfo? failure)
    {
        if (BeginCloseAsync() is { } cancelsRunning)
        {
            await cancelsRunning.ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        }

        EndClose();
        AfterExit(fail, failure);
    }

    private static async Task<CancelScopeResult<T>> RunCoreAsync<T>(CancelScope scope, Func<CancelScope, Task<T>> body, bool fail)
    {
        var result = new CancelScopeResult<T>(scope);
        ExceptionDispatchInfo? failure = null;
        try
        {
            var task = (Task<T>)scope.InvokeBodyAsync(body);
            result = new CancelScopeResult<T>(scope, await task.ConfigureAwait(LoopSynchronizationContext.IsCurrent));
        }
        catch (OperationCanceledException) when (scope.ShouldAbsorb())
        {
            scope._cancelledCaught = true;
        }
#pragma warning disable CA1031 // Rethrown by AfterExit, together with any callback failures.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            failure = ExceptionDispatchInfo.Capture(exception);
        }

        await scope.ExitAsync(fail, failure).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        return result;
    }

    private Task InvokeBodyAsync(Func<CancelScope, Task> body)
    {
        using (AmbientScope.Enter(this))
        {
            return body(this) ?? throw new InvalidOperationException($"The body of {this} returned a null task.");
        }
    }

    private bool ShouldAbsorb()
    {
        if (!IsCancellationRequested && !OwnDeadlinePassed())
        {
            return false; // The cancellation came from outside: it belongs to a scope further out.
        }

        // The outermost cancelled scope absorbs: if anything outside is cancelled too, let it pass.
        return !_outerToken.IsCancellationRequested && !(_parent?.IsCancelledForNested() ?? false);
    }

    private void AfterExit(bool fail, ExceptionDispatchInfo? failure)
    {
        // Every cancellation has finished running callbacks (BeginCloseAsync waited): the list is complete.
        if (Volatile.Read(ref _callbackFailures) is { } callbackFailures)
        {
            // Never dropped, never alone: the body's own outcome comes first, then the callbacks'.
            List<Exception> all = [];
            if (failure is not null)
            {
                all.Add(failure.SourceException);
            }
            else if (fail && _cancelledCaught)
            {
                all.Add(new DeadlineExceededException(Id, Deadline, CancelReason));
            }

            all.AddRange(callbackFailures);
            throw new AggregateException(
                failure is null
                    ? $"Callbacks registered on the token of {this} threw when it was cancelled."
                    : $"The body of {this} failed, and callbacks registered on its token threw when it was cancelled.",
                all);
        }

        failure?.Throw();
        if (fail && _cancelledCaught)
        {
            throw new DeadlineExceededException(Id, Deadline, CancelReason);
        }
    }

    private bool OwnDeadlinePassed()
    {
        var deadline = Deadline;
        return deadline is not null && _time.GetUtcNow() >= deadline.Value;
    }

    private void SetDeadline(DateTimeOffset? deadline)
    {
        bool cancelNow;
        lock (_cts)
        {
            if (_closed)
            {
                return;
            }

            _deadline = deadline;
            cancelNow = false;
            if (deadline is null)
            {
                _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
            else
            {
                var due = deadline.Value - _time.GetUtcNow();
                if (due <= TimeSpan.Zero)
                {
                    cancelNow = true;
                }
                else
                {
                    // ITimer accepts at most about 49 days per period; a farther deadline re-arms on firing.
                    var capped = due > MaxTimerDue ? MaxTimerDue : due;
                    if (_timer is null)
                    {
                        _timer = _time.CreateTimer(static s => ((CancelScope)s!).OnTimer(), this, capped, Timeout.InfiniteTimeSpan);
                    }
                    else
                    {
                        _timer.Change(capped, Timeout.InfiniteTimeSpan);
                    }
                }
            }
        }

        if (cancelNow)
        {
            CancelCore(DeadlineReason(deadline!.Value));
        }
    }

    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromMilliseconds(uint.MaxValue - 2);

    private static string DeadlineReason(DateTimeOffset deadline) => $"deadline {deadline:O} passed";

    private void OnTimer()
    {
        DateTimeOffset? deadline;
        lock (_cts)
        {
            deadline = _deadline;
        }

        if (deadline is null)
        {
            return;
        }

        if (_time.GetUtcNow() >= deadline.Value)
        {
            CancelCore(DeadlineReason(deadline.Value));
        }
        else
        {
            SetDeadline(deadline); // Moved later, or farther than one timer period: re-arm.
        }
    }

    private void CancelCore(string reason)
    {
        lock (_cts)
        {
            if (_closed)
            {
                return;
            }

            // Counted so that the exit waits for this cancellation's callbacks (see BeginCloseAsync).
            _cancelsRunning++;
        }

        try
        {
            if (Interlocked.CompareExchange(ref _cancelReason, reason, null) is null && BraidInstrumentation.IsEnabled)
            {
                BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.ScopeCancelled, Id, Message: reason));
            }

            _cts.Cancel();
        }
        catch (AggregateException callbackFailures)
        {
            // Never lost, never thrown on a timer thread: the scope rethrows them when it exits.
            Interlocked.CompareExchange(ref _callbackFailures, [], null);
            lock (_callbackFailures)
            {
                _callbackFailures.AddRange(callbackFailures.InnerExceptions);
            }
        }
        finally
        {
            TaskCompletionSource? done = null;
            lock (_cts)
            {
                if (--_cancelsRunning == 0)
                {
                    done = _cancelsDone;
                }
            }

            done?.TrySetResult();
        }
    }

    /// <summary>
    /// Closes the scope to new cancellations and stops its timer. Returns a task to await first if a
    /// cancellation is still running callbacks: the body can end inside <c>Cancel</c> (its continuation
    /// runs inline where there is no context to post to), and <c>Cancel</c> throws the callbacks'
    /// failures only after the last callback, so exiting at once would drop them.
    /// </summary>
    private Task? BeginCloseAsync()
    {
        lock (_cts)
        {
            _closed = true;
            _timer?.Dispose();
            _timer = null;
            if (_cancelsRunning == 0)
            {
                return null;
            }

            _cancelsDone ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _cancelsDone.Task;
        }
    }

    /// <summary>Releases the token source, and with it the registration on the outer token.</summary>
    private void EndClose() => _cts.Dispose();
}
